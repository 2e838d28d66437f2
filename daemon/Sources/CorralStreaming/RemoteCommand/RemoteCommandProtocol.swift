/// The versions of kubelet's remote command (exec/attach) protocol. Over SPDY the client picks
/// one with X-Stream-Protocol-Version; over WebSocket with the subprotocol.
enum RemoteCommandProtocol: String, Sendable, CaseIterable {
    /// WebSocket only: adds the CLOSE signal (channel 255) so stdin can end without the connection.
    case v5 = "v5.channel.k8s.io"
    /// The error stream carries a JSON metav1.Status, with the exit code.
    case v4 = "v4.channel.k8s.io"
    /// Adds the resize stream.
    case v3 = "v3.channel.k8s.io"
    case v2 = "v2.channel.k8s.io"
    case v1 = "channel.k8s.io"

    /// What a SPDY client may ask for, in kubelet's order of preference.
    static let spdy: [RemoteCommandProtocol] = [.v4, .v3, .v2, .v1]

    var writesStatusJSON: Bool { self == .v4 || self == .v5 }
    var supportsResize: Bool { self == .v3 || self == .v4 || self == .v5 }
}

/// The port-forward protocol over SPDY.
enum PortForwardProtocol {
    static let spdy = ["portforward.k8s.io"]
}

/// Stream types and header names of the SPDY protocols (k8s.io/api/core/v1 constants).
enum StreamHeader {
    static let streamType = "streamType"
    static let port = "port"
    static let requestID = "requestID"

    static let error = "error"
    static let stdin = "stdin"
    static let stdout = "stdout"
    static let stderr = "stderr"
    static let resize = "resize"
    static let data = "data"
}
