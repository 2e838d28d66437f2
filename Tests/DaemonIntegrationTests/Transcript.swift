import StreamingTestSupport
import Synchronization

/// Everything a stream sent so far, collected by a task of its own, so that a test can wait for
/// some output while it goes on typing.
final class Transcript: Sendable {
    private struct State {
        var channels: [UInt8: [UInt8]] = [:]
        var ended = false
    }

    private let state = Mutex(State())

    /// One SPDY stream, kept as channel 1.
    static func reading(_ stream: ClientStream) -> Transcript {
        let transcript = Transcript()
        Task {
            while let chunk = await stream.read() { transcript.append(chunk, channel: 1) }
            transcript.end()
        }
        return transcript
    }

    /// Every channel of a WebSocket connection.
    static func reading(_ client: WebSocketTestClient) -> Transcript {
        let transcript = Transcript()
        Task {
            while let (channel, payload, _) = await client.receive() { transcript.append(payload, channel: channel) }
            transcript.end()
        }
        return transcript
    }

    private func append(_ bytes: [UInt8], channel: UInt8) {
        state.withLock { $0.channels[channel, default: []] += bytes }
    }

    private func end() {
        state.withLock { $0.ended = true }
    }

    func bytes(_ channel: UInt8 = 1) -> [UInt8] {
        state.withLock { $0.channels[channel] ?? [] }
    }

    func text(_ channel: UInt8 = 1) -> String {
        bytes(channel).text
    }

    var ended: Bool { state.withLock { $0.ended } }

    /// True once `expected` turned up on `channel`; false if it did not within `timeout`.
    func waitFor(_ expected: String, channel: UInt8 = 1, timeout: Duration = .seconds(15)) async -> Bool {
        await eventually(timeout) { self.text(channel).contains(expected) }
    }

    /// True once the stream (or connection) ended.
    func waitEnded(timeout: Duration = .seconds(15)) async -> Bool {
        await eventually(timeout) { self.ended }
    }

    /// Types `line` until `expected` shows up. A resize travels to the terminal on a path of its
    /// own, so a command typed right after it may still see the old size; typing it again is
    /// what a user would do.
    func type(_ line: String, until expected: String, channel: UInt8 = 1,
              with send: (String) async throws -> Void) async throws {
        for _ in 0..<20 {
            try await send(line)
            if await waitFor(expected, channel: channel, timeout: .seconds(1)) { return }
        }
        throw TestFailure("no \"\(expected)\" after typing \(line.debugDescription) 20 times; the output was: \(text(channel))")
    }
}
