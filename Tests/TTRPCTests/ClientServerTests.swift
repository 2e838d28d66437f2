import CorralSystem
import Foundation
import Synchronization
import Testing
import TTRPC

@Suite("ttrpc client and server over unix sockets")
struct ClientServerTests {
    @Test func unaryRoundTripAndSocketMode() async throws {
        let echo = try EchoServer()
        let server = echo.server
        var info = stat()
        #expect(stat(server.path, &info) == 0)
        #expect(info.st_mode & 0o777 == 0o600)

        let client = try Client.connect("unix://" + server.path)
        defer { client.close() }
        let reply = try await client.call(TestMethods.echo, Strings.with { $0.lines = ["a", "b"] })
        #expect(reply.lines == ["a", "b"])
    }

    @Test func hundredConcurrentCallsOnOneConnection() async throws {
        let echo = try EchoServer()
        let (server, client) = (echo.server, try echo.connect())

        let results = try await withThrowingTaskGroup(of: (Int, [String]).self) { group in
            for i in 0..<100 {
                group.addTask {
                    // Some calls are slow, so answers come back out of order.
                    if i % 10 == 0 {
                        _ = try await client.call(TestMethods.sleep, Limit.with { $0.limit = 50 })
                    }
                    let reply = try await client.call(TestMethods.echo, Strings.with { $0.lines = ["\(i)"] })
                    return (i, reply.lines)
                }
            }
            var all: [Int: [String]] = [:]
            for try await (i, lines) in group { all[i] = lines }
            return all
        }
        #expect(results.count == 100)
        for (i, lines) in results { #expect(lines == ["\(i)"]) }
        #expect(server.connectionCount == 1)
    }

    @Test func clientDeadlineExpiresWhenTheServerIsSlow() async throws {
        let echo = try EchoServer()
        let client = try echo.connect()

        // Each call ends at its deadline, far short of the server's 5 s (with room for a test
        // machine whose other suites keep the cooperative pool busy).
        var started = ContinuousClock.now
        await #expect(throws: RPCError.self) {
            _ = try await client.call(TestMethods.sleep, Limit.with { $0.limit = 5000 }, timeout: .milliseconds(200))
        }
        #expect(ContinuousClock.now - started < .seconds(3))
        started = ContinuousClock.now
        do {
            _ = try await client.call(TestMethods.sleep, Limit.with { $0.limit = 5000 }, timeout: .milliseconds(200))
        } catch {
            #expect(error.code == .deadlineExceeded)
        }
        #expect(ContinuousClock.now - started < .seconds(3))
        // The connection is still good after the expired calls.
        #expect(try await client.call(TestMethods.echo, Strings.with { $0.lines = ["ok"] }).lines == ["ok"])
    }

    @Test func serverEnforcesTimeoutNanoEvenOnAStuckHandler() async throws {
        let echo = try EchoServer()
        let server = echo.server
        let peer = try RawPeer(path: server.path)
        defer { peer.close() }
        // The handler blocks far longer than the deadline, so that an answer before it ends can
        // only be the server's own, however slow a loaded machine is.
        let payload = (try? Limit.with { $0.limit = 5000 }.serializedBytes()) ?? [UInt8]()
        let started = ContinuousClock.now
        try peer.send(Frame(streamID: 1, type: .request,
                            payload: RawPeer.request(TestMethods.service, "Block", payload, timeoutNanos: 100_000_000)))
        let answer = status(of: await peer.receive())
        #expect(answer?.0 == .deadlineExceeded)
        #expect(ContinuousClock.now - started < .milliseconds(4500))
    }

    /// An answer over the frame limit cannot be sent; the caller hears so at once instead of
    /// waiting out its deadline, and the connection stays good.
    @Test func anOversizedAnswerIsResourceExhausted() async throws {
        let echo = try EchoServer()
        let client = try echo.connect()
        do {
            _ = try await client.call(TestMethods.big, Limit.with { $0.limit = UInt32(Frame.maxPayloadLength) },
                                      timeout: .seconds(60))
            Issue.record("a \(Frame.maxPayloadLength)-byte answer went through")
        } catch {
            #expect(error.code == .resourceExhausted, "\(error)")
            #expect(error.message.contains("frame limit"), "\(error.message)")
        }
        let fits = try await client.call(TestMethods.big, Limit.with { $0.limit = UInt32(Frame.maxPayloadLength - 1024) })
        #expect(fits.lines.first?.count == Frame.maxPayloadLength - 1024)
    }

    @Test func metadataReachesTheHandler() async throws {
        let echo = try EchoServer()
        let client = try echo.connect()
        let reply = try await client.call(TestMethods.metadata, Limit(), metadata: [("pod", "p1"), ("trace", "t")])
        #expect(reply.lines == ["pod=p1", "trace=t"])
    }

    @Test func serverStreamDeliversEveryMessageThenEnds() async throws {
        let echo = try EchoServer()
        let client = try echo.connect()
        var received: [String] = []
        for try await message in client.stream(TestMethods.count, Limit.with { $0.limit = 50 }) {
            received += message.lines
        }
        #expect(received == (0..<50).map(String.init))
    }

    @Test func cancellingAServerStreamStopsTheHandler() async throws {
        let dir = TempDir()
        let observations = Observations()
        let server = Server(path: dir.path + "/s.sock", services: [echoService(observations)])
        try server.start()
        defer { server.stop() }
        let client = try Client.connect(server.path)
        defer { client.close() }

        var seen = 0
        for try await _ in client.stream(TestMethods.forever, Limit()) {
            seen += 1
            if seen == 3 { break }
        }
        #expect(seen == 3)
        for _ in 0..<200 where !observations.streamCancelled.withLock({ $0 }) {
            try await Task.sleep(for: .milliseconds(10))
        }
        #expect(observations.streamCancelled.withLock { $0 })
        // Unary calls on the same connection still work.
        #expect(try await client.call(TestMethods.echo, Strings.with { $0.lines = ["x"] }).lines == ["x"])
    }

    @Test func peersOutsideTheAllowListAreRefused() async throws {
        let dir = TempDir()
        let server = Server(path: dir.path + "/s.sock", services: [echoService()], allowedUIDs: [4242])
        try server.start()
        defer { server.stop() }
        let client = try Client.connect(server.path)
        defer { client.close() }
        do {
            _ = try await client.call(TestMethods.echo, Strings(), timeout: .seconds(2))
            Issue.record("a refused peer got an answer")
        } catch {
            #expect(error.code == .unavailable)
        }
        #expect(server.connectionCount == 0)
    }

    @Test func unknownServiceAndMethodAreUnimplemented() async throws {
        let echo = try EchoServer()
        let client = try echo.connect()
        for (service, method) in [("no.such.Service", "Echo"), (TestMethods.service, "NoSuchMethod")] {
            do {
                _ = try await client.call(service: service, method: method, payload: [])
                Issue.record("\(service)/\(method) answered")
            } catch {
                #expect(error.code == .unimplemented)
                #expect(error.message.contains(service))
            }
        }
    }

    @Test func evenAndReusedStreamIDsAreInvalidArguments() async throws {
        let fixture = try EchoServer()
        let server = fixture.server
        let peer = try RawPeer(path: server.path)
        defer { peer.close() }
        let echo = RawPeer.request(TestMethods.service, "Echo")

        try peer.send(Frame(streamID: 2, type: .request, payload: echo))
        let even = await peer.receive()
        #expect(even?.streamID == 2)
        #expect(status(of: even)?.0 == .invalidArgument)

        try peer.send(Frame(streamID: 5, type: .request, payload: echo))
        #expect(status(of: await peer.receive())?.0 == .ok)
        for reused: UInt32 in [5, 3] {
            try peer.send(Frame(streamID: reused, type: .request, payload: echo))
            let answer = await peer.receive()
            #expect(answer?.streamID == reused)
            #expect(status(of: answer)?.0 == .invalidArgument)
        }
        // Still served afterwards.
        try peer.send(Frame(streamID: 7, type: .request, payload: echo))
        #expect(status(of: await peer.receive())?.0 == .ok)
    }

    @Test func oversizedFrameIsRefusedAndTheConnectionKept() async throws {
        let echo = try EchoServer()
        let server = echo.server
        let peer = try RawPeer(path: server.path)
        defer { peer.close() }

        let length = Frame.maxPayloadLength + 1
        var header: [UInt8] = []
        for shift in [24, 16, 8, 0] { header.append(UInt8(truncatingIfNeeded: length >> shift)) }
        header += [0, 0, 0, 1, FrameType.request.rawValue, 0]
        try peer.send(header + [UInt8](repeating: 0x41, count: length))
        let refusal = await peer.receive()
        #expect(refusal?.streamID == 1)
        #expect(status(of: refusal)?.0 == .resourceExhausted)

        try peer.send(Frame(streamID: 3, type: .request, payload: RawPeer.request(TestMethods.service, "Echo")))
        #expect(status(of: await peer.receive())?.0 == .ok)
    }

    @Test func malformedEnvelopeClosesOnlyThatConnection() async throws {
        let echo = try EchoServer()
        let server = echo.server
        let healthy = try Client.connect(server.path)
        defer { healthy.close() }
        #expect(try await healthy.call(TestMethods.echo, Strings()).lines == [])

        let bad = try RawPeer(path: server.path)
        defer { bad.close() }
        try bad.send(Frame(streamID: 1, type: .request, payload: [0xFF, 0xFF, 0xFF]))
        let closed = await bad.isClosedByPeer()
        #expect(closed)

        #expect(try await healthy.call(TestMethods.echo, Strings.with { $0.lines = ["still"] }).lines == ["still"])
        #expect(!healthy.isClosed)
    }

    @Test func callsOnAClosedConnectionFailFast() async throws {
        let dir = TempDir()
        let server = Server(path: dir.path + "/s.sock", services: [echoService()])
        try server.start()
        let client = try Client.connect(server.path)
        defer { client.close() }
        server.stop()
        for _ in 0..<100 where !client.isClosed { try await Task.sleep(for: .milliseconds(10)) }
        do {
            _ = try await client.call(TestMethods.echo, Strings(), timeout: .seconds(5))
            Issue.record("a call on a closed connection succeeded")
        } catch {
            #expect(error.code == .unavailable)
        }
    }
}
