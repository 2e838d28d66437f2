import CorralShim
import CorralSystem
import Foundation
import ShimAPI
import SwiftProtobuf
import Testing
import TTRPC

#if canImport(Glibc)
import Glibc
#endif

/// Throws random and mutated frames at a live shim: it must keep serving everyone else,
/// drop only the connections that sent garbage, and leak no descriptor.
@Suite("corral-shim under fuzzed frames", .enabled(if: ShimHarness.binaryExists && getuid() == 0, "needs root and a built corral-shim"))
struct ShimFuzzTests {
    static let frameCount = 10_000
    static let framesPerConnection = 100

    @Test func survivesTenThousandBadFrames() async throws {
        let shim = ShimHarness()
        let (_, pid, healthy) = try shim.start()
        defer { healthy.close() }
        _ = try await healthy.call(DebugMethods.ping, .init())
        let baseline = ShimHarness.openFDs(pid)
        #expect(baseline > 0)

        let socketPath = shim.paths.socketPath
        let sent = await offPool {
            var generator = SystemRandomNumberGenerator()
            var total = 0
            var connections = 0
            // A connection the shim drops for a malformed frame is replaced by a new one.
            while total < Self.frameCount && connections < 20 * Self.frameCount {
                total += Self.fuzzOneConnection(socketPath, using: &generator)
                connections += 1
            }
            return (total, connections)
        }
        print("fuzz: \(sent.0) frames over \(sent.1) connections")
        #expect(sent.0 >= Self.frameCount)
        #expect(sent.1 > 1)

        // The connection that behaved was never dropped, and the shim still answers.
        #expect(!healthy.isClosed)
        _ = try await healthy.call(DebugMethods.ping, .init(), timeout: .seconds(5))
        let fresh = try Client.connect(shim.paths.address)
        defer { fresh.close() }
        _ = try await fresh.call(DebugMethods.ping, .init())

        // Every fuzzing connection is gone again: back to the baseline plus the fresh one.
        var count = ShimHarness.openFDs(pid)
        for _ in 0..<200 where count > baseline + 1 {
            try await Task.sleep(for: .milliseconds(20))
            count = ShimHarness.openFDs(pid)
        }
        #expect(count <= baseline + 1, "shim holds \(count) fds, baseline \(baseline)")
    }

    /// One connection: a burst of frames, then half-close and drain until the shim hangs up.
    /// Returns how many frames were written before the shim closed the connection, if it did.
    static func fuzzOneConnection(_ path: String, using generator: inout SystemRandomNumberGenerator) -> Int {
        guard let fd = try? UnixSocket.connect(path: path) else { return 0 }
        defer { fd.close() }
        var written = 0
        var nextID: UInt32 = 1
        for _ in 0..<framesPerConnection {
            let bytes = randomFrame(&nextID, using: &generator)
            // The shim may already have closed a connection that sent a malformed envelope.
            guard (try? fd.writeAll(bytes)) != nil else { break }
            written += 1
            drain(fd)
        }
        UnixSocket.shutdownWrite(fd)
        // Read until the shim closes its side; bounded so a bug shows as a failure, not a hang.
        for _ in 0..<500 {
            var poller = pollfd(fd: fd.rawValue, events: Int16(POLLIN), revents: 0)
            guard poll(&poller, 1, 10) >= 0 else { break }
            if poller.revents != 0 {
                guard let chunk = try? fd.read(upTo: 65536), !chunk.isEmpty else { break }
            }
        }
        return written
    }

    static func drain(_ fd: FileDescriptor) {
        var buffer = [UInt8](repeating: 0, count: 65536)
        while let n = try? fd.receiveAvailable(into: &buffer), n > 0 {}
    }

    static func randomFrame(_ nextID: inout UInt32, using g: inout SystemRandomNumberGenerator) -> [UInt8] {
        switch Int.random(in: 0..<6, using: &g) {
        case 0:
            // Pure noise.
            return (0..<Int.random(in: 0...40, using: &g)).map { _ in UInt8.random(in: 0...255, using: &g) }
        case 1:
            // A header whose fields are random, with a short random payload.
            let payload = (0..<Int.random(in: 0...32, using: &g)).map { _ in UInt8.random(in: 0...255, using: &g) }
            return (try? Frame(streamID: UInt32.random(in: 0...20, using: &g), typeByte: UInt8.random(in: 0...5, using: &g),
                               flags: FrameFlags(rawValue: UInt8.random(in: 0...7, using: &g)), payload: payload).encoded()) ?? []
        case 2:
            // A valid Ping with bits flipped somewhere in the frame.
            var bytes = validRequest(&nextID, DebugMethods.service, "Ping")
            for _ in 0..<Int.random(in: 1...4, using: &g) {
                let i = Int.random(in: 0..<bytes.count, using: &g)
                bytes[i] ^= UInt8(1) << UInt8.random(in: 0...7, using: &g)
            }
            return bytes
        case 3:
            // A well-formed request for something that does not exist.
            return validRequest(&nextID, "no.such.Service\(UInt8.random(in: 0...9, using: &g))", "Nothing")
        case 4:
            // A valid method with a garbage request message.
            let junk = (0..<Int.random(in: 1...16, using: &g)).map { _ in UInt8.random(in: 0...255, using: &g) }
            return validRequest(&nextID, DebugMethods.service, "Info", payload: junk)
        default:
            // A header that announces more than it sends, or more than the limit.
            let length = Bool.random(using: &g) ? UInt32(Frame.maxPayloadLength + 1) : UInt32.random(in: 64...4096, using: &g)
            var bytes: [UInt8] = []
            for shift in [24, 16, 8, 0] { bytes.append(UInt8(truncatingIfNeeded: length >> UInt32(shift))) }
            bytes += [0, 0, 0, UInt8(nextID & 0xFF), 1, 0]
            nextID &+= 2
            return bytes + (0..<16).map { _ in UInt8.random(in: 0...255, using: &g) }
        }
    }

    static func validRequest(_ nextID: inout UInt32, _ service: String, _ method: String, payload: [UInt8] = []) -> [UInt8] {
        var request = Ttrpc_Request()
        request.service = service
        request.method = method
        request.payload = Data(payload)
        request.timeoutNano = 1_000_000_000
        let envelope: [UInt8] = (try? request.serializedBytes()) ?? []
        defer { nextID &+= 2 }
        return (try? Frame(streamID: nextID, type: .request, payload: envelope).encoded()) ?? []
    }
}
