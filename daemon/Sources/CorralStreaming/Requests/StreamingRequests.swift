/// What a CRI Exec call asked for; the server keeps it until the client comes for the URL.
public struct ExecRequest: Sendable, Equatable {
    public var containerID: String
    public var cmd: [String]
    public var tty: Bool
    public var stdin: Bool
    public var stdout: Bool
    public var stderr: Bool

    public init(containerID: String, cmd: [String], tty: Bool = false, stdin: Bool = false, stdout: Bool = true, stderr: Bool = true) {
        self.containerID = containerID
        self.cmd = cmd
        self.tty = tty
        self.stdin = stdin
        self.stdout = stdout
        self.stderr = stderr
    }

    var options: StreamOptions { StreamOptions(stdin: stdin, stdout: stdout, stderr: stderr, tty: tty) }
}

/// What a CRI Attach call asked for.
public struct AttachRequest: Sendable, Equatable {
    public var containerID: String
    public var tty: Bool
    public var stdin: Bool
    public var stdout: Bool
    public var stderr: Bool

    public init(containerID: String, tty: Bool = false, stdin: Bool = false, stdout: Bool = true, stderr: Bool = true) {
        self.containerID = containerID
        self.tty = tty
        self.stdin = stdin
        self.stdout = stdout
        self.stderr = stderr
    }

    var options: StreamOptions { StreamOptions(stdin: stdin, stdout: stdout, stderr: stderr, tty: tty) }
}

/// What a CRI PortForward call asked for. kubelet leaves `ports` empty for SPDY clients (each
/// stream names its port); WebSocket clients need them here or in `?port=` of the URL.
public struct PortForwardRequest: Sendable, Equatable {
    public var podSandboxID: String
    public var ports: [Int32]

    public init(podSandboxID: String, ports: [Int32] = []) {
        self.podSandboxID = podSandboxID
        self.ports = ports
    }
}

/// Why the server refused to hand out a URL. The CRI server maps these to gRPC codes:
/// `tooManyInFlight` is RESOURCE_EXHAUSTED, the rest INVALID_ARGUMENT.
public enum StreamingRequestError: Error, Equatable, CustomStringConvertible {
    case missingContainerID
    case missingPodSandboxID
    case ttyWithStderr
    case noStreams
    case tooManyInFlight

    // kubelet's texts, so that clients and tests see the same words from either runtime.
    public var description: String {
        switch self {
        case .missingContainerID: "missing required container_id"
        case .missingPodSandboxID: "missing required pod_sandbox_id"
        case .ttyWithStderr: "tty and stderr cannot both be true"
        case .noStreams: "one of stdin, stdout, or stderr must be set"
        case .tooManyInFlight: "maximum number of in-flight requests exceeded"
        }
    }
}

/// Which streams an exec or attach uses.
struct StreamOptions: Sendable, Equatable {
    var stdin: Bool
    var stdout: Bool
    var stderr: Bool
    var tty: Bool

    func validate(containerID: String) throws(StreamingRequestError) {
        if containerID.isEmpty { throw .missingContainerID }
        // A terminal has one output: stderr cannot be told apart from stdout.
        if tty && stderr { throw .ttyWithStderr }
        if !stdin && !stdout && !stderr { throw .noStreams }
    }
}
