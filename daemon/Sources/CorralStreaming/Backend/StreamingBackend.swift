/// What the streaming server needs from the runtime: the daemon implements this over its shims.
///
/// Each call runs in its own task, which is cancelled when the client's connection closes
/// before the call returns. Errors thrown reach the client: for exec and attach as a Status
/// failure on the error stream, for port-forward as a message on that port's error stream.
public protocol StreamingBackend: Sendable {
    /// Runs `command` in the container and returns its exit code. A non-zero code is reported
    /// to the client as kubelet does (reason NonZeroExitCode), not as an error.
    func exec(containerID: String, command: [String], tty: Bool, io: StreamIO) async throws -> Int32

    /// Connects to the container's main process until it exits or the client goes away.
    func attach(containerID: String, tty: Bool, io: StreamIO) async throws

    /// A bidirectional byte stream to localhost:`port` in the pod's network namespace. Return
    /// once the connection is done, which ends its error stream (and `connection.outbound` is
    /// closed for you if you did not): when both directions are, or shortly after the target's
    /// side ended, since a client may keep its own open until the error stream ends (client-go's
    /// port forwarder does).
    func portForward(podSandboxID: String, port: Int32, connection: StreamConnection) async throws
}

/// The streams of one exec or attach, as the client asked for them.
public struct StreamIO: Sendable {
    /// The client's stdin; finishes when the client closes it. Nil when stdin was not requested.
    public let stdin: InboundBytes?
    /// Nil when stdout was not requested.
    public let stdout: StreamWriter?
    /// Nil when not requested, and always for a tty (a terminal merges it into stdout).
    public let stderr: StreamWriter?
    /// Terminal size changes; nil unless tty. Finishes when the client stops sending them.
    public let resize: AsyncStream<TerminalSize>?

    public init(stdin: InboundBytes?, stdout: StreamWriter?, stderr: StreamWriter?, resize: AsyncStream<TerminalSize>?) {
        self.stdin = stdin
        self.stdout = stdout
        self.stderr = stderr
        self.resize = resize
    }
}

/// A terminal size in character cells, as kubectl sends it.
public struct TerminalSize: Sendable, Hashable, CustomStringConvertible {
    public var width: UInt16
    public var height: UInt16

    public init(width: UInt16, height: UInt16) {
        self.width = width
        self.height = height
    }

    public var description: String { "\(width)x\(height)" }
}

/// One forwarded TCP connection's bytes, both ways.
public struct StreamConnection: Sendable {
    /// Bytes from the client; finishes when the client closes its sending side.
    public let inbound: InboundBytes
    /// Bytes to the client; `close()` ends our sending side.
    public let outbound: StreamWriter

    public init(inbound: InboundBytes, outbound: StreamWriter) {
        self.inbound = inbound
        self.outbound = outbound
    }
}
