import CRIAPI
import CorralSystem
import Foundation
import GRPCCore
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// What kubelet relies on beyond the CRI's words, as containerd behaves: a stop the client gave
/// up on is not finished with a kill, a hung shim costs no call more than the shim timeout and a
/// second, host-network pods keep the host's name, and the pod's runtime handler is reported as
/// it was asked for.
@Suite("behaviour kubelet relies on", .serialized, .enabled(if: DaemonFixture.available))
struct KubeletBehaviourTests {
    static func deadline(_ duration: Duration) -> CallOptions {
        var options = CallOptions.defaults
        options.timeout = duration
        return options
    }

    @Test("a StopContainer the client gives up on within the grace period does not kill the container")
    func stopGivenUp() async throws {
        try await DaemonFixture.with { daemon in
            let pod = try await daemon.runPod("patient")
            let id = try await daemon.runContainer(pod: pod, "stubborn", ["sh", "-c", "trap '' TERM; while true; do sleep 0.2; done"])
            try await Task.sleep(for: .milliseconds(300))
            let error = await #expect(throws: RPCError.self) {
                _ = try await daemon.runtime.stopContainer(.with { $0.containerID = id; $0.timeout = 10 },
                                                           options: Self.deadline(.seconds(1)))
            }
            #expect(error?.code == .deadlineExceeded, "\(String(describing: error))")
            // Well past the client's deadline, short of the grace period: still running.
            try await Task.sleep(for: .seconds(3))
            #expect(try await daemon.containerState(id).state == .containerRunning)
            // kubelet's retry, with no grace left, stops it.
            _ = try await daemon.runtime.stopContainer(.with { $0.containerID = id; $0.timeout = 0 })
            #expect(try await daemon.containerState(id).state == .containerExited)
        }
    }

    @Test("a stopped shim fails every call that needs it within the shim timeout and a second, and no other")
    func stoppedShim() async throws {
        try await DaemonFixture.with(shimCallTimeout: "2s") { daemon in
            let frozen = try await daemon.runPod("frozen")
            let stuck = try await daemon.runContainer(pod: frozen, "main", ["sleep", "3600"])
            let lively = try await daemon.runPod("lively")
            let alive = try await daemon.runContainer(pod: lively, "main", ["sleep", "3600"])
            let shim = try await daemon.shimPID(of: frozen)
            kill(shim, SIGSTOP)
            defer { kill(shim, SIGCONT) }
            // ExecSync without a timeout and a stop with a long grace period: neither may wait
            // for its own deadline. (The client's own deadline only keeps a failure from hanging.)
            let limit = Self.deadline(.seconds(15))
            for (name, call) in [
                ("ExecSync", { _ = try await daemon.runtime.execSync(.with { $0.containerID = stuck; $0.cmd = ["true"]; $0.timeout = 0 }, options: limit) }),
                ("StopContainer", { _ = try await daemon.runtime.stopContainer(.with { $0.containerID = stuck; $0.timeout = 30 }, options: limit) }),
                ("ContainerStats", { _ = try await daemon.runtime.containerStats(.with { $0.containerID = stuck }, options: limit) }),
            ] as [(String, () async throws -> Void)] {
                let started = ContinuousClock.now
                let error = await #expect(throws: RPCError.self, "\(name)") { try await call() }
                let took = ContinuousClock.now - started
                #expect(error?.code == .deadlineExceeded, "\(name): \(String(describing: error))")
                // SIGKILL after a failed grace period makes StopContainer two shim calls. The
                // limits allow a busy machine's scheduling on top of the timeout and a second.
                #expect(took < (name == "StopContainer" ? .seconds(7) : .seconds(4.5)), "\(name) took \(took)")
            }
            // The rest of the node answers meanwhile.
            let other = try await daemon.runtime.execSync(.with { $0.containerID = alive; $0.cmd = ["echo", "ok"]; $0.timeout = 5 })
            #expect(other.stdout == Data("ok\n".utf8))
            #expect(try await daemon.containerState(stuck).state == .containerRunning)
            kill(shim, SIGCONT)
            // Awake, the shim does what it was asked meanwhile (the stop's SIGTERM ends sleep)
            // and answers again.
            #expect(await eventually { (try? await daemon.containerState(stuck).state) == .containerExited })
            let again = try await daemon.runContainer(pod: frozen, "again", ["sleep", "3600"])
            let back = try await daemon.runtime.execSync(.with { $0.containerID = again; $0.cmd = ["echo", "back"]; $0.timeout = 0 })
            #expect(back.stdout == Data("back\n".utf8))
        }
    }

    @Test("a host-network pod that names its own hostname is refused; the handler is reported as asked")
    func hostnameAndHandler() async throws {
        try await DaemonFixture.with { daemon in
            var hostNetwork = daemon.podConfig("hostnet")
            hostNetwork.linux.securityContext.namespaceOptions.network = .node
            hostNetwork.hostname = "mine"
            let error = await #expect(throws: RPCError.self) {
                _ = try await daemon.runtime.runPodSandbox(.with { $0.config = hostNetwork })
            }
            #expect(error?.code == .invalidArgument && error?.message.contains("config.hostname") == true, "\(String(describing: error))")
            #expect(try await daemon.runtime.listPodSandbox(.init()).items.isEmpty)

            let unnamed = try await daemon.runPod("default-handler")
            let named = try await daemon.runtime.runPodSandbox(.with {
                $0.config = daemon.podConfig("runc-handler")
                $0.runtimeHandler = "runc"
            }).podSandboxID
            #expect(try await daemon.runtime.podSandboxStatus(.with { $0.podSandboxID = unnamed }).status.runtimeHandler == "")
            #expect(try await daemon.runtime.podSandboxStatus(.with { $0.podSandboxID = named }).status.runtimeHandler == "runc")
        }
    }

    @Test("a request over the 16 MiB message limit answers RESOURCE_EXHAUSTED naming the size, and the connection goes on")
    func oversizedRequest() async throws {
        try await DaemonFixture.with { daemon in
            let pod = try await daemon.runPod("oversized")
            let id = try await daemon.runContainer(pod: pod, "main", ["sleep", "3600"])
            let huge = String(repeating: "x", count: 17 << 20)
            let error = await #expect(throws: RPCError.self) {
                _ = try await daemon.runtime.execSync(.with { $0.containerID = id; $0.cmd = ["echo", huge]; $0.timeout = 10 })
            }
            #expect(error?.code == .resourceExhausted, "\(String(describing: error))")
            #expect(error?.message.contains("over the limit of 16777216 bytes") == true, "\(String(describing: error))")
            // The same connection answers the next call.
            let echo = try await daemon.runtime.execSync(.with { $0.containerID = id; $0.cmd = ["echo", "fine"]; $0.timeout = 10 })
            #expect(echo.stdout == Data("fine\n".utf8))
        }
    }
}

/// kubelet's one connection carries the whole node's calls: corrald must let it open as many
/// streams as that takes. A client that opens more than the server advertises (grpc-core does
/// before it has read the server's SETTINGS) loses the whole connection to a GOAWAY.
@Suite("one connection for the node", .serialized, .enabled(if: DaemonFixture.available))
struct ConnectionLimitTests {
    /// The server's first SETTINGS frame, parameter by parameter, on a connection of its own.
    static func serverSettings(_ socket: String) throws -> [UInt16: UInt32] {
        let connection = try UnixSocket.connect(path: socket)
        defer { connection.close() }
        return try handshake(connection, acknowledging: false)
    }

    /// Sends the client preface and an empty SETTINGS, reads the server's SETTINGS (and
    /// acknowledges them, as every real client does before the server's limits apply).
    static func handshake(_ connection: FileDescriptor, acknowledging: Bool) throws -> [UInt16: UInt32] {
        try connection.writeAll(Array("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".utf8) + frame(type: 0x4, flags: 0, stream: 0, []))
        // Exactly the one frame, so that what follows is left to be read as frames.
        var bytes: [UInt8] = []
        var frameEnd: Int { bytes.count < 9 ? 9 : 9 + (Int(bytes[0]) << 16 | Int(bytes[1]) << 8 | Int(bytes[2])) }
        while bytes.count < frameEnd {
            let chunk = try connection.read(upTo: frameEnd - bytes.count)
            guard !chunk.isEmpty else { throw TestFailure("the server closed before its SETTINGS") }
            bytes += chunk
        }
        guard bytes[3] == 0x4 else { throw TestFailure("first frame of type \(bytes[3]), not SETTINGS") }
        let length = Int(bytes[0]) << 16 | Int(bytes[1]) << 8 | Int(bytes[2])
        var settings: [UInt16: UInt32] = [:]
        for at in stride(from: 9, to: 9 + length, by: 6) {
            let id = UInt16(bytes[at]) << 8 | UInt16(bytes[at + 1])
            settings[id] = bytes[(at + 2)..<(at + 6)].reduce(0) { $0 << 8 | UInt32($1) }
        }
        if acknowledging { try connection.writeAll(frame(type: 0x4, flags: 0x1, stream: 0, [])) }
        return settings
    }

    @Test("the CRI socket advertises thousands of concurrent streams, and 200 concurrent ExecSync on one connection are all answered")
    func manyStreams() async throws {
        try await DaemonFixture.with { daemon in
            let settings = try Self.serverSettings(daemon.socket)
            // SETTINGS_MAX_CONCURRENT_STREAMS (0x3); swift-nio-http2's own default is 100.
            #expect((settings[0x3] ?? 0) >= 4096, "\(settings)")
            let pod = try await daemon.runPod("probed")
            let id = try await daemon.runContainer(pod: pod, "main", ["sleep", "3600"])
            let answered = try await withThrowingTaskGroup(of: Bool.self) { group in
                for _ in 0..<200 {
                    group.addTask {
                        let result = try await daemon.runtime.execSync(.with {
                            $0.containerID = id; $0.cmd = ["sh", "-c", "sleep 0.5; echo ok"]; $0.timeout = 30
                        })
                        return result.stdout == Data("ok\n".utf8)
                    }
                }
                return try await group.reduce(0) { $0 + ($1 ? 1 : 0) }
            }
            #expect(answered == 200)
        }
    }

    /// A client's raw HTTP/2: the handshake, then `streams` ListContainers requests (HPACK
    /// literals, no Huffman), and nothing read back.
    static func openUnreadRequests(_ socket: String, streams: Int) throws -> FileDescriptor {
        let connection = try UnixSocket.connect(path: socket)
        _ = try handshake(connection, acknowledging: true)
        var bytes: [UInt8] = []
        let fields = [(":method", "POST"), (":scheme", "http"), (":path", "/runtime.v1.RuntimeService/ListContainers"),
                      (":authority", "localhost"), ("content-type", "application/grpc"), ("te", "trailers")]
        let block = fields.flatMap { (name: String, value: String) -> [UInt8] in
            [0x00, UInt8(name.utf8.count)] + Array(name.utf8) + [UInt8(value.utf8.count)] + Array(value.utf8)
        }
        for index in 0..<streams {
            let stream = UInt32(2 * index + 1)
            bytes += frame(type: 0x1, flags: 0x4, stream: stream, block)          // HEADERS, END_HEADERS
            bytes += frame(type: 0x0, flags: 0x1, stream: stream, [0, 0, 0, 0, 0]) // DATA: an empty message, END_STREAM
        }
        try connection.writeAll(bytes)
        return connection
    }

    /// The types of the frames read from `connection` until `bytes` have come.
    static func frameTypes(readingFrom connection: FileDescriptor, atLeast bytes: Int) throws -> Set<UInt8> {
        var buffer: [UInt8] = []
        while buffer.count < bytes {
            let chunk = try connection.read(upTo: 65536)
            if chunk.isEmpty { break }
            buffer += chunk
        }
        var types: Set<UInt8> = []
        var at = 0
        while at + 9 <= buffer.count {
            types.insert(buffer[at + 3])
            at += 9 + (Int(buffer[at]) << 16 | Int(buffer[at + 1]) << 8 | Int(buffer[at + 2]))
        }
        return types
    }

    static func frame(type: UInt8, flags: UInt8, stream: UInt32, _ payload: [UInt8]) -> [UInt8] {
        let length = payload.count
        return [UInt8(length >> 16), UInt8(length >> 8 & 0xff), UInt8(length & 0xff), type, flags,
                UInt8(stream >> 24), UInt8(stream >> 16 & 0xff), UInt8(stream >> 8 & 0xff), UInt8(stream & 0xff)] + payload
    }

    @Test("a thousand connections that never speak and a client that never reads its answers stall no other client")
    func silentAndSlowClients() async throws {
        try await DaemonFixture.with { daemon in
            // Containers whose listing is large (10 KiB each), so that the unread answers fill
            // the slow connection's flow-control windows and socket buffers many times over
            // (100 answers of 100 KiB), without making their encoding the load that slows the rest.
            let pod = try await daemon.runPod("listed")
            for index in 0..<10 {
                var config = daemon.containerConfig("c\(index)", ["sleep", "3600"])
                for key in 0..<10 { config.labels["label-\(key)"] = String(repeating: "x", count: 1000) }
                _ = try await daemon.runtime.createContainer(.with {
                    $0.podSandboxID = pod; $0.config = config; $0.sandboxConfig = daemon.podConfig("listed")
                })
            }
            let silent = try (0..<1000).map { _ in try UnixSocket.connect(path: daemon.socket) }
            defer { silent.forEach { $0.close() } }
            let slow = try Self.openUnreadRequests(daemon.socket, streams: 100)
            defer { slow.close() }
            try await Task.sleep(for: .milliseconds(500))
            var slowest = Duration.zero
            for _ in 0..<20 {
                let started = ContinuousClock.now
                let listed = try await daemon.runtime.listContainers(.init(), options: KubeletBehaviourTests.deadline(.seconds(10)))
                #expect(listed.containers.count == 10)
                _ = try await daemon.runtime.version(.init(), options: KubeletBehaviourTests.deadline(.seconds(10)))
                slowest = max(slowest, ContinuousClock.now - started)
            }
            print("beside 1000 silent connections and 100 unread ListContainers of 100 KiB each: slowest ListContainers + Version \(slowest)")
            // A stalled server would let the calls run into their deadline; a slow one (the
            // suites beside this one flood stdout and fork-bomb on two cores) only delays them.
            // Alone on this machine the slowest pair takes 0.05–0.7 s.
            #expect(slowest < .seconds(8), "a call took \(slowest)")
            // The slow client's requests were real ones: its answers wait for it, no GOAWAY.
            let types = try Self.frameTypes(readingFrom: slow, atLeast: 64 << 10)
            #expect(types.contains(0x0) && !types.contains(0x7), "frames the slow client was sent: \(types)")
        }
    }
}
