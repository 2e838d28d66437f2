import CRIGRPC
import CorralSystem
import GRPCCore
import GRPCNIOTransportHTTP2Posix
import NIOPosix

/// The CRI's gRPC server on its unix socket (mode 0660 and root's group unless configured,
/// as kubelet's peers do), with kubelet's 16 MiB message limit.
///
/// Its connections share one event loop of their own, and its tasks run on that loop too
/// (`serve`): a call that only reads memory is then answered on the thread that read its
/// request. On the shared pool, each step of an RPC woke another thread, and those wake-ups
/// cost a small call more than its work. Instrumentation moves every other call to the pool.
struct CRIServer {
    static let maxMessageSize = 16 << 20
    static let maxConcurrentStreams = 1 << 16

    let socketPath: String
    let services: [any RegistrableRPCService]
    let mode: UInt32
    /// A group name or gid; empty: leave it root's.
    let group: String
    private let eventLoops = MultiThreadedEventLoopGroup(numberOfThreads: 1)
    private let executor: EventLoopTaskExecutor

    init(socketPath: String, services: [any RegistrableRPCService], mode: UInt32 = 0o660, group: String = "") {
        self.socketPath = socketPath
        self.services = services
        self.mode = mode
        self.group = group
        executor = EventLoopTaskExecutor(eventLoops.next())
    }

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
                // The transport's own limit resets the stream; ours answers RESOURCE_EXHAUSTED first.
                $0.rpc.maxRequestPayloadSize = Self.maxMessageSize
                $0.channelDebuggingCallbacks.onAcceptHTTP2Stream = MessageLimitHandler.installer(limit: Self.maxMessageSize)
                // kubelet sends every call of the node over one connection, probes of all pods
                // included. Left unset, swift-nio-http2 allows 100 streams and answers the 101st
                // with GOAWAY, failing every call on the connection; grpc-go servers
                // (containerd) allow about 2^32.
                $0.http2.maxConcurrentStreams = Self.maxConcurrentStreams
                // Coalescing holds each flush for up to 100 µs hoping for more writes to batch:
                // a gain for streams of small messages, a delay for every unary CRI answer.
                $0.connection.flushCoalescing = nil
                $0.channelDebuggingCallbacks.onAcceptTCPConnection = PingThrottleHandler.install
            },
            eventLoopGroup: eventLoops)
        return GRPCServer(transport: transport, services: services)
    }

    /// Runs `server` until it stops, its tasks on the connections' event loop.
    /// The loop is never shut down: tasks that inherited the preference (grpc-swift's own, as
    /// connections wind down) may still enqueue after `serve` returns, and the process ends soon after.
    func serve(_ server: GRPCServer<HTTP2ServerTransport.Posix>) async throws {
        try await withTaskExecutorPreference(executor) {
            try await server.serve()
        }
    }

}
