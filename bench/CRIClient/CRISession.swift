import CRIAPI
import GRPCCore
import GRPCNIOTransportHTTP2Posix

/// The bench's long-lived connection to the CRI server, replaced by a fresh one every
/// `callsPerConnection` calls, always between timed spans.
///
/// Why not one connection for the whole run: a grpc-go server (containerd) answers every
/// request with a BDP PING, and swift-nio-http2 (1.46, the version pinned here) closes a
/// connection that receives more than 200 PING/SETTINGS frames in 30 s with ENHANCE_YOUR_CALM,
/// failing the call in flight. Kubelet (grpc-go) has no such limit; a fresh connection every
/// 150 calls stays under it against any server and costs no timed call anything, since each
/// new connection is opened and used once before it is handed out.
public actor CRISession {
    private let socketPath: String
    private let callsPerConnection: Int
    /// grpc-swift's clients hold each flush for up to 100 µs by default, hoping to batch more
    /// writes; kubelet's (grpc-go) sends a request at once.
    private let coalesceFlushes: Bool
    private var client: GRPCClient<CRIConnection.Transport>?
    private var running: Task<Void, any Error>?
    private var calls = 0
    public private(set) var connectionsOpened = 0

    public init(endpoint: String, callsPerConnection: Int = 150, coalesceFlushes: Bool) {
        socketPath = endpoint.hasPrefix("unix://") ? String(endpoint.dropFirst("unix://".count)) : endpoint
        self.callsPerConnection = callsPerConnection
        self.coalesceFlushes = coalesceFlushes
    }

    /// The connection for the next call, opening a new one first when this one has had its share.
    public func connection() async throws -> CRIConnection {
        let current: GRPCClient<CRIConnection.Transport>
        if let client, calls < callsPerConnection {
            current = client
        } else {
            current = try await reconnect()
        }
        calls += 1
        return CRIConnection(wrapping: current)
    }

    /// Drops the current connection, e.g. after a failed call, so cleanup starts on a fresh one.
    public func reset() async {
        guard let client, let running else { return }
        self.client = nil
        self.running = nil
        client.beginGracefulShutdown()
        _ = await running.result
    }

    private func reconnect() async throws -> GRPCClient<CRIConnection.Transport> {
        await reset()
        let transport = try HTTP2ClientTransport.Posix(
            target: .unixDomainSocket(path: socketPath), transportSecurity: .plaintext,
            config: .defaults { [coalesceFlushes] in $0.connection.flushCoalescing = coalesceFlushes ? .defaults : nil })
        let fresh = GRPCClient(transport: transport)
        running = Task.detached { try await fresh.runConnections() }
        client = fresh
        connectionsOpened += 1
        _ = try await CRIConnection(wrapping: fresh).runtime.version(
            Runtime_V1_VersionRequest(), options: CRIConnection.deadline(seconds: 30))
        calls = 1
        return fresh
    }
}
