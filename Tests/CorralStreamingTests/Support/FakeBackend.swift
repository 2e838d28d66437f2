import CorralStreaming
import StreamingTestSupport

/// A backend whose behaviour each test writes as closures; it records what it was asked.
struct FakeBackend: StreamingBackend {
    struct Call: Sendable, Equatable {
        var kind: String
        var id: String
        var command: [String] = []
        var tty = false
        var port: Int32 = 0
        var hadStdin = false
        var hadStdout = false
        var hadStderr = false
        var hadResize = false
    }

    let calls = TestQueue<Call>()
    var onExec: @Sendable (_ command: [String], _ io: StreamIO) async throws -> Int32 = { _, _ in 0 }
    var onAttach: @Sendable (_ io: StreamIO) async throws -> Void = { _ in }
    var onPortForward: @Sendable (_ port: Int32, _ connection: StreamConnection) async throws -> Void = FakeBackend.echo

    func exec(containerID: String, command: [String], tty: Bool, io: StreamIO) async throws -> Int32 {
        calls.push(Call(kind: "exec", id: containerID, command: command, tty: tty, hadStdin: io.stdin != nil,
                        hadStdout: io.stdout != nil, hadStderr: io.stderr != nil, hadResize: io.resize != nil))
        return try await onExec(command, io)
    }

    func attach(containerID: String, tty: Bool, io: StreamIO) async throws {
        calls.push(Call(kind: "attach", id: containerID, tty: tty, hadStdin: io.stdin != nil,
                        hadStdout: io.stdout != nil, hadStderr: io.stderr != nil, hadResize: io.resize != nil))
        try await onAttach(io)
    }

    func portForward(podSandboxID: String, port: Int32, connection: StreamConnection) async throws {
        calls.push(Call(kind: "portforward", id: podSandboxID, port: port))
        try await onPortForward(port, connection)
    }

    /// A pretend server on every port: answers each chunk with "PORT:chunk", and "PORT:bye"
    /// once the client closed its side.
    static let echo: @Sendable (Int32, StreamConnection) async throws -> Void = { port, connection in
        for await chunk in connection.inbound {
            try await connection.outbound.write(Array("\(port):".utf8) + chunk)
        }
        try await connection.outbound.write(Array("\(port):bye".utf8))
    }
}

extension StreamWriter {
    func write(_ text: String) async throws {
        try await write(Array(text.utf8))
    }
}
