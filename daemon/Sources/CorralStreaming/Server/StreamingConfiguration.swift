import Logging

/// The server's knobs; the defaults are kubelet's where kubelet has one.
public struct StreamingConfiguration: Sendable {
    /// How long a URL stays valid unused (kubelet: 1 minute).
    public var tokenTTL: Duration = .seconds(60)
    /// URLs handed out and not yet used, at most (kubelet: 1000).
    public var maxInFlight = 1000
    /// How long a SPDY client may take to open the streams of an exec, or both streams of a
    /// forwarded connection (kubelet: 30 seconds).
    public var streamCreationTimeout: Duration = .seconds(30)
    /// How long a client may take to send its request (head and end) after connecting.
    public var requestTimeout: Duration = .seconds(30)
    /// A connection with no traffic either way for this long is closed (kubelet: 4 hours).
    public var idleTimeout: Duration = .seconds(4 * 3600)
    /// Largest SPDY frame payload accepted; a larger frame closes the connection. SPDY's
    /// 24-bit length field cannot exceed 16 MiB anyway.
    public var maxSPDYFrame = 16 << 20
    /// Largest WebSocket message (after joining fragments); a larger one closes the connection.
    public var maxWebSocketMessage = 16 << 20
    /// Largest header block after decompression.
    public var maxHeaderBlock = 256 << 10
    /// Bytes buffered for one stream's reader before the connection stops reading the socket.
    public var inboundHighWater = 1 << 20
    /// After the server's last frame, how long it waits for the client to hang up first.
    public var closeDrainTimeout: Duration = .seconds(5)
    public var logger = Logger(label: "corral.streaming")
    /// Serve HTTPS with this certificate chain and key (PEM files); nil: plain HTTP.
    public var tls: TLSFiles?

    public struct TLSFiles: Sendable {
        public var certificateChain: String
        public var privateKey: String
        public init(certificateChain: String, privateKey: String) {
            self.certificateChain = certificateChain
            self.privateKey = privateKey
        }
    }

    public init() {}
}
