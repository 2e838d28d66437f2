import CorralSystem
import Foundation
import ShimAPI
import Synchronization
import TTRPC

#if canImport(Glibc)
import Glibc
#endif

/// A temp dir for one test's sockets, short enough for sockaddr_un.
struct TempDir: ~Copyable {
    let path: String
    init() {
        var template = Array("/tmp/corral-test-XXXXXX".utf8CString)
        let made = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
        path = String(cString: made!)
    }
    deinit { FileSystem.removeTree(path) }
}

/// The messages the test services exchange: a list of strings is all they need.
typealias Strings = Corral_Shim_V1_LogsResponse
typealias Limit = Corral_Shim_V1_LogsRequest

enum TestMethods {
    static let service = "corral.test.Echo"
    static let echo = TTRPC.Method<Strings, Strings>(service: service, name: "Echo")
    static let sleep = TTRPC.Method<Limit, Strings>(service: service, name: "Sleep")
    static let block = TTRPC.Method<Limit, Strings>(service: service, name: "Block")
    static let metadata = TTRPC.Method<Limit, Strings>(service: service, name: "Metadata")
    static let count = TTRPC.Method<Limit, Strings>(service: service, name: "Count")
    static let forever = TTRPC.Method<Limit, Strings>(service: service, name: "Forever")
    static let big = TTRPC.Method<Limit, Strings>(service: service, name: "Big")
}

/// Records what server handlers observed, for assertions.
final class Observations: Sendable {
    let streamCancelled = Mutex(false)
    let started = Mutex(0)
}

func echoService(_ observations: Observations = Observations()) -> Service {
    var service = Service(name: TestMethods.service)
    service.unary(TestMethods.echo) { _, request in request }
    service.unary(TestMethods.sleep) { _, request in
        try await Task.sleep(for: .milliseconds(Int(request.limit)))
        return Strings.with { $0.lines = ["slept"] }
    }
    // Ignores cancellation, like a handler stuck in a system call.
    service.unary(TestMethods.block) { _, request in
        usleep(UInt32(request.limit) * 1000)
        return Strings()
    }
    service.unary(TestMethods.big) { _, request in
        Strings.with { $0.lines = [String(repeating: "x", count: Int(request.limit))] }
    }
    service.unary(TestMethods.metadata) { context, _ in
        Strings.with { $0.lines = context.metadata.map { "\($0.key)=\($0.value)" } }
    }
    service.serverStream(TestMethods.count) { _, request, writer in
        for i in 0..<Int(request.limit) {
            try writer.send(Strings.with { $0.lines = ["\(i)"] })
        }
    }
    service.serverStream(TestMethods.forever) { _, _, writer in
        observations.started.withLock { $0 += 1 }
        do {
            var i = 0
            while true {
                try writer.send(Strings.with { $0.lines = ["\(i)"] })
                i += 1
                try await Task.sleep(for: .milliseconds(5))
            }
        } catch {
            observations.streamCancelled.withLock { $0 = true }
            throw error
        }
    }
    return service
}

/// A raw socket speaking frames, for what a well-behaved client never sends. Its waits run on
/// a Dispatch queue, never on the cooperative pool that the server's handlers need.
final class RawPeer: @unchecked Sendable {
    let fd: FileDescriptor
    private var decoder = FrameDecoder()

    init(path: String) throws {
        fd = try UnixSocket.connect(path: path)
    }

    func send(_ bytes: [UInt8]) throws {
        try fd.writeAll(bytes)
    }

    func send(_ frame: Frame) throws {
        try fd.writeAll(try frame.encoded())
    }

    static func request(_ service: String, _ method: String, _ payload: [UInt8] = [], timeoutNanos: Int64 = 0) -> [UInt8] {
        var request = Ttrpc_Request()
        request.service = service
        request.method = method
        request.payload = Data(payload)
        request.timeoutNano = timeoutNanos
        return (try? request.serializedBytes()) ?? []
    }

    /// The next frame, or nil on end of file or after `timeoutMillis`.
    func receive(timeoutMillis: Int32 = 5000) async -> Frame? {
        await offPool { self.receiveBlocking(timeoutMillis: timeoutMillis) }
    }

    /// True when the server closed the connection within the timeout.
    func isClosedByPeer(timeoutMillis: Int32 = 5000) async -> Bool {
        await offPool {
            var poller = pollfd(fd: self.fd.rawValue, events: Int16(POLLIN), revents: 0)
            guard poll(&poller, 1, timeoutMillis) > 0 else { return false }
            return (try? self.fd.read(upTo: 65536))?.isEmpty ?? true
        }
    }

    private func receiveBlocking(timeoutMillis: Int32) -> Frame? {
        while true {
            if case .frame(let frame)? = decoder.next() { return frame }
            var poller = pollfd(fd: fd.rawValue, events: Int16(POLLIN), revents: 0)
            guard poll(&poller, 1, timeoutMillis) > 0,
                  let chunk = try? fd.read(upTo: 65536), !chunk.isEmpty else { return nil }
            decoder.feed(chunk)
        }
    }

    func close() { fd.close() }
}

func status(of frame: Frame?) -> (StatusCode, String)? {
    guard let frame, frame.type == .response,
          let response = try? Ttrpc_Response(serializedBytes: frame.payload) else { return nil }
    return (StatusCode(rawValue: response.status.code) ?? .unknown, response.status.message)
}

/// Runs blocking work on a Dispatch thread and awaits it.
func offPool<T: Sendable>(_ body: @escaping @Sendable () -> T) async -> T {
    await BlockingWork.run(body)
}

/// A running echo server in a temp dir of its own, and the clients connected to it; all of it
/// stopped, closed and removed when the fixture goes.
final class EchoServer: @unchecked Sendable {
    let dir = TempDir()
    let server: Server
    private var clients: [Client] = []

    init(observations: Observations = Observations(), allowedUIDs: Set<UInt32> = [0]) throws {
        server = Server(path: dir.path + "/s.sock", services: [echoService(observations)], allowedUIDs: allowedUIDs)
        try server.start()
    }

    func connect() throws -> Client {
        let client = try Client.connect(server.path)
        clients.append(client)
        return client
    }

    deinit {
        clients.forEach { $0.close() }
        server.stop()
    }
}
