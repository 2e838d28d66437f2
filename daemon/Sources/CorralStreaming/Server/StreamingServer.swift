import CorralSystem
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL

/// kubelet's CRI streaming server: the CRI server asks it for an exec, attach or port-forward
/// URL; kubectl or crictl then connect to that URL, upgrade to SPDY/3.1 or WebSocket, and the
/// server runs the request against the backend.
///
/// Plain HTTP on loopback by default, as kubelet's; HTTPS when the configuration names a
/// certificate and key (for an address other nodes' API servers reach).
public final class StreamingServer: Sendable {
    /// `http://HOST:PORT` or `https://HOST:PORT`, with the port actually bound.
    public let baseURL: String
    private let serverChannel: any Channel
    private let context: ServerContext

    private init(baseURL: String, serverChannel: any Channel, context: ServerContext) {
        self.baseURL = baseURL
        self.serverChannel = serverChannel
        self.context = context
    }

    /// Listens on `address`:`port` (0: a free port).
    public static func start(address: String = "127.0.0.1", port: Int = 0, backend: any StreamingBackend,
                             configuration: StreamingConfiguration = StreamingConfiguration()) async throws -> StreamingServer {
        let context = ServerContext(cache: RequestCache(ttl: configuration.tokenTTL, maxInFlight: configuration.maxInFlight),
                                    backend: backend, configuration: configuration, sessions: SessionRegistry())
        let idle = TimeAmount.nanoseconds(configuration.idleTimeout.nanoseconds)
        let tls = try configuration.tls.map { files in
            try NIOSSLContext(configuration: .makeServerConfiguration(
                certificateChain: try NIOSSLCertificate.fromPEMFile(files.certificateChain).map { .certificate($0) },
                privateKey: .privateKey(try NIOSSLPrivateKey(file: files.privateKey, format: .pem))))
        }
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.allowRemoteHalfClosure, value: false)
            .childChannelInitializer { channel in
                guard context.sessions.add(channel) else { return channel.close() }
                return channel.eventLoop.makeCompletedFuture {
                    let decoder = ByteToMessageHandler(HTTPRequestDecoder(leftOverBytesStrategy: .forwardBytes))
                    let encoder = HTTPResponseEncoder()
                    if let tls { try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: tls)) }
                    try channel.pipeline.syncOperations.addHandlers([
                        IdleStateHandler(allTimeout: idle),
                        CloseOnIdleHandler(),
                        decoder,
                        encoder,
                        StreamingHTTPHandler(server: context, decoder: decoder, encoder: encoder),
                    ])
                }
            }
            .bind(host: address, port: port).get()
        guard let bound = channel.localAddress, let boundPort = bound.port else {
            channel.close(promise: nil)
            throw StreamingServerError.noLocalAddress
        }
        let host = bound.ipAddress ?? address
        let authority = host.contains(":") ? "[\(host)]:\(boundPort)" : "\(host):\(boundPort)"
        let baseURL = (tls == nil ? "http://" : "https://") + authority
        configuration.logger.info("streaming server listening", metadata: ["url": "\(baseURL)"])
        return StreamingServer(baseURL: baseURL, serverChannel: channel, context: context)
    }

    /// The URL for a CRI Exec call; valid once, for the configured TTL.
    public func exec(_ request: ExecRequest) throws(StreamingRequestError) -> String {
        try request.options.validate(containerID: request.containerID)
        return url("exec", token: try context.cache.insert(.exec(request)))
    }

    /// The URL for a CRI Attach call.
    public func attach(_ request: AttachRequest) throws(StreamingRequestError) -> String {
        try request.options.validate(containerID: request.containerID)
        return url("attach", token: try context.cache.insert(.attach(request)))
    }

    /// The URL for a CRI PortForward call.
    public func portForward(_ request: PortForwardRequest) throws(StreamingRequestError) -> String {
        if request.podSandboxID.isEmpty { throw .missingPodSandboxID }
        return url("portforward", token: try context.cache.insert(.portForward(request)))
    }

    /// Stops listening, closes every connection and waits for their sessions to end (their
    /// backend calls are cancelled).
    public func shutdown() async {
        try? await serverChannel.close().get()
        await context.sessions.shutdown()
    }

    /// Sessions still running (for tests and metrics).
    public var activeSessions: Int { context.sessions.sessionCount }

    private func url(_ kind: String, token: String) -> String {
        "\(baseURL)/\(kind)/\(token)"
    }
}

public enum StreamingServerError: Error, CustomStringConvertible {
    case noLocalAddress

    public var description: String {
        switch self {
        case .noLocalAddress: "the streaming server's socket has no local address"
        }
    }
}

/// Closes a connection that stayed silent both ways for the idle timeout.
final class CloseOnIdleHandler: ChannelInboundHandler, Sendable {
    typealias InboundIn = NIOAny

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is IdleStateHandler.IdleStateEvent {
            context.close(promise: nil)
        } else {
            context.fireUserInboundEventTriggered(event)
        }
    }
}
