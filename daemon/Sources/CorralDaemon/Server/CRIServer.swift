import CRIGRPC
import CorralSystem
import GRPCCore
import GRPCNIOTransportHTTP2Posix

/// The CRI's gRPC server on its unix socket (mode 0660 and root's group unless configured,
/// as kubelet's peers do), with kubelet's 16 MiB message limit.
struct CRIServer {
    static let maxMessageSize = 16 << 20

    let socketPath: String
    let services: [any RegistrableRPCService]
    var mode: UInt32 = 0o660
    /// A group name or gid; empty: leave it root's.
    var group = ""

    /// Serves on `inherited` (a socket systemd activated) or binds the socket (replacing a
    /// stale one).
    func makeServer(inherited: Int32?) throws -> GRPCServer<HTTP2ServerTransport.Posix> {
        let listener: Int32
        if let inherited {
            listener = inherited
        } else {
            try FileSystem.makeDirectories(FileSystem.parent(of: socketPath), mode: 0o711)
            FileSystem.remove(socketPath)
            let socket = try UnixSocket.listen(path: socketPath, mode: mode, backlog: 1024)
            if !group.isEmpty {
                do { try FileSystem.changeGroup(socketPath, to: group) } catch {
                    socket.close()
                    FileSystem.remove(socketPath)
                    throw error
                }
            }
            listener = socket.rawValue
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
