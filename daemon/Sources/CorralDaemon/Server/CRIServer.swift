import CRIGRPC
import CorralSystem
import GRPCCore
import GRPCNIOTransportHTTP2Posix

/// The CRI's gRPC server on its unix socket (mode 0660, as kubelet's peers expect), with
/// kubelet's 16 MiB message limit.
struct CRIServer {
    static let maxMessageSize = 16 << 20

    let socketPath: String
    let services: [any RegistrableRPCService]

    /// Serves on `inherited` (a socket systemd activated) or binds the socket (replacing a
    /// stale one).
    func makeServer(inherited: Int32?) throws -> GRPCServer<HTTP2ServerTransport.Posix> {
        let listener: Int32
        if let inherited {
            listener = inherited
        } else {
            try FileSystem.makeDirectories(FileSystem.parent(of: socketPath), mode: 0o711)
            FileSystem.remove(socketPath)
            listener = try UnixSocket.listen(path: socketPath, mode: 0o660, backlog: 1024).rawValue
        }
        let transport = HTTP2ServerTransport.Posix(
            listeningSocketDescriptor: Int(listener),
            transportSecurity: .plaintext,
            config: .defaults {
                $0.rpc.maxRequestPayloadSize = Self.maxMessageSize
                $0.channelDebuggingCallbacks.onAcceptTCPConnection = PingThrottleHandler.install
            })
        return GRPCServer(transport: transport, services: services)
    }
}
