import Logging
import NIOCore
import NIOHTTP1
import NIOWebSocket

/// Everything the connections of one server share.
struct ServerContext: Sendable {
    let cache: RequestCache
    let backend: any StreamingBackend
    let configuration: StreamingConfiguration
    let sessions: SessionRegistry
    var logger: Logger { configuration.logger }
}

/// The HTTP/1.1 side of a connection, which lives for one request: route it, use up its
/// token, check the upgrade, answer 101 and hand the connection to SPDY or WebSocket; or
/// answer an error and close. The checks run in kubelet's order: path (404), method (405),
/// token (404), then the protocol handshake (400, or 403 when no version fits).
final class StreamingHTTPHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let server: ServerContext
    private let decoder: ByteToMessageHandler<HTTPRequestDecoder>
    private let encoder: HTTPResponseEncoder
    private var head: HTTPRequestHead?
    private var handled = false
    private var requestTimer: Scheduled<Void>?

    init(server: ServerContext, decoder: ByteToMessageHandler<HTTPRequestDecoder>, encoder: HTTPResponseEncoder) {
        self.server = server
        self.decoder = decoder
        self.encoder = encoder
    }

    func handlerAdded(context: ChannelHandlerContext) {
        // A client that connects and says nothing holds a socket; it gets the request timeout.
        let channel = context.channel
        requestTimer = context.eventLoop.scheduleTask(in: .nanoseconds(server.configuration.requestTimeout.nanoseconds)) {
            channel.close(promise: nil)
        }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        requestTimer?.cancel()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            self.head = head
        case .body:
            break
        case .end:
            guard let head, !handled else { return }
            handled = true
            requestTimer?.cancel()
            handle(context: context, head: head)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        server.logger.debug("bad HTTP request", metadata: ["error": "\(error)"])
        if !handled {
            handled = true
            respond(context: context, status: .badRequest, message: "bad request")
        } else {
            context.close(promise: nil)
        }
    }

    private func handle(context: ChannelHandlerContext, head: HTTPRequestHead) {
        let (path, query) = StreamingRoute.split(uri: head.uri)
        guard let route = StreamingRoute(path: path) else {
            return respond(context: context, status: .notFound, message: "404 page not found")
        }
        guard head.method == .GET || head.method == .POST else {
            return respond(context: context, status: .methodNotAllowed, message: "405: Method Not Allowed",
                           headers: [("Allow", "GET, POST")])
        }
        switch (route.kind, server.cache.consume(route.token)) {
        case (.exec, .exec(let request)?):
            remoteCommand(context: context, head: head, command: .exec(request))
        case (.attach, .attach(let request)?):
            remoteCommand(context: context, head: head, command: .attach(request))
        case (.portforward, .portForward(let request)?):
            portForward(context: context, head: head, query: query, request: request)
        default:
            respond(context: context, status: .notFound, message: "404 page not found")
        }
    }

    // MARK: Exec and attach

    private func remoteCommand(context: ChannelHandlerContext, head: HTTPRequestHead, command: RemoteCommand) {
        let server = self.server
        let configuration = server.configuration
        if Self.isWebSocket(head) {
            guard let subprotocol = WebSocketSubprotocol.negotiate(
                offered: head.headers["Sec-WebSocket-Protocol"], supported: WebSocketSubprotocol.remoteCommand, fallback: .v1)
            else {
                return respond(context: context, status: .forbidden,
                               message: "unable to upgrade: no supported WebSocket subprotocol requested")
            }
            upgradeWebSocket(context: context, head: head, subprotocol: subprotocol) { context in
                let handler = WebSocketChannelHandler(
                    encoding: subprotocol.encoding, closeSignal: subprotocol.version == .v5,
                    readableChannels: WebSocketRemoteCommandSession.readableChannels(command.options),
                    inboundHighWater: configuration.inboundHighWater, eventLoop: context.eventLoop, logger: server.logger)
                let connection = WebSocketConnection(channel: context.channel, inbound: handler.readable,
                                                     handler: NIOLoopBound(handler, eventLoop: context.eventLoop))
                return ([handler], {
                    await WebSocketRemoteCommandSession(connection: connection, version: subprotocol.version, command: command,
                                                        backend: server.backend, drain: configuration.closeDrainTimeout).run()
                })
            }
        } else {
            let supported = RemoteCommandProtocol.spdy.map(\.rawValue)
            guard let chosen = negotiateSPDY(context: context, head: head, supported: supported),
                  let version = RemoteCommandProtocol(rawValue: chosen) else { return }
            upgradeSPDY(context: context, chosen: chosen, accept: { _ in true }) { connection, streams in
                await SPDYRemoteCommandSession(connection: connection, streams: streams, version: version, command: command,
                                               backend: server.backend, creationTimeout: configuration.streamCreationTimeout,
                                               drain: configuration.closeDrainTimeout, logger: server.logger).run()
            }
        }
    }

    // MARK: Port forward

    private func portForward(context: ChannelHandlerContext, head: HTTPRequestHead, query: String, request: PortForwardRequest) {
        let server = self.server
        let configuration = server.configuration
        if Self.isWebSocket(head) {
            // kubelet takes the ports from the CRI request; a client may also name them in the URL.
            guard let queryPorts = StreamingRoute.ports(query: query) else {
                return respond(context: context, status: .badRequest, message: "unable to parse the port query parameter")
            }
            let ports = request.ports.isEmpty ? queryPorts : request.ports
            guard let subprotocol = WebSocketSubprotocol.negotiate(
                offered: head.headers["Sec-WebSocket-Protocol"], supported: WebSocketSubprotocol.portForward, fallback: .v4)
            else {
                return respond(context: context, status: .forbidden,
                               message: "unable to upgrade: no supported WebSocket subprotocol requested")
            }
            if subprotocol == WebSocketSubprotocol.spdyTunnel {
                // SPDY inside the WebSocket: ports come with each stream, as over plain SPDY.
                return upgradeWebSocket(context: context, head: head, subprotocol: subprotocol) { context in
                    let (handlers, start) = try self.spdySession(context: context, accept: SPDYPortForwardSession.accepts) { connection, streams in
                        await SPDYPortForwardSession(connection: connection, streams: streams, podSandboxID: request.podSandboxID,
                                                     backend: server.backend, creationTimeout: configuration.streamCreationTimeout,
                                                     drain: configuration.closeDrainTimeout, logger: server.logger).run()
                    }
                    return ([WebSocketTunnelHandler()] + handlers, start)
                }
            }
            guard !ports.isEmpty, ports.count <= 127 else {
                return respond(context: context, status: .badRequest,
                               message: ports.isEmpty ? "query parameter \"port\" is required" : "too many ports")
            }
            upgradeWebSocket(context: context, head: head, subprotocol: subprotocol) { context in
                let handler = WebSocketChannelHandler(
                    encoding: subprotocol.encoding, closeSignal: false,
                    readableChannels: WebSocketPortForwardSession.readableChannels(portCount: ports.count),
                    inboundHighWater: configuration.inboundHighWater, eventLoop: context.eventLoop, logger: server.logger)
                let connection = WebSocketConnection(channel: context.channel, inbound: handler.readable,
                                                     handler: NIOLoopBound(handler, eventLoop: context.eventLoop))
                return ([handler], {
                    await WebSocketPortForwardSession(connection: connection, ports: ports, podSandboxID: request.podSandboxID,
                                                      backend: server.backend, drain: configuration.closeDrainTimeout,
                                                      logger: server.logger).run()
                })
            }
        } else {
            guard let chosen = negotiateSPDY(context: context, head: head, supported: PortForwardProtocol.spdy) else { return }
            upgradeSPDY(context: context, chosen: chosen, accept: SPDYPortForwardSession.accepts) { connection, streams in
                await SPDYPortForwardSession(connection: connection, streams: streams, podSandboxID: request.podSandboxID,
                                             backend: server.backend, creationTimeout: configuration.streamCreationTimeout,
                                             drain: configuration.closeDrainTimeout, logger: server.logger).run()
            }
        }
    }

    // MARK: SPDY

    /// kubelet's httpstream.Handshake, then the upgrade headers; answers the failure itself.
    private func negotiateSPDY(context: ChannelHandlerContext, head: HTTPRequestHead, supported: [String]) -> String? {
        let offered = head.headers["X-Stream-Protocol-Version"].flatMap { $0.split(separator: ",") }
            .map { $0.trimmedOfBlanks() }.filter { !$0.isEmpty }
        guard !offered.isEmpty else {
            respond(context: context, status: .badRequest, message: "unable to upgrade: X-Stream-Protocol-Version is required")
            return nil
        }
        guard let chosen = offered.first(where: supported.contains) else {
            respond(context: context, status: .forbidden,
                    message: "unable to upgrade: unable to negotiate protocol: client supports \(offered), server accepts \(supported)",
                    headers: supported.map { ("X-Accepted-Stream-Protocol-Versions", $0) })
            return nil
        }
        let connection = head.headers["Connection"].joined(separator: ",").lowercased()
        let upgrade = head.headers["Upgrade"].joined(separator: ",").lowercased()
        guard connection.contains("upgrade"), upgrade.contains("spdy/3.1") else {
            respond(context: context, status: .badRequest, message: "unable to upgrade: missing upgrade headers in request")
            return nil
        }
        return chosen
    }

    private func upgradeSPDY(context: ChannelHandlerContext, chosen: String, accept: @escaping @Sendable (SPDYHeaders) -> Bool,
                             session: @escaping @Sendable (SPDYConnection, AsyncStream<SPDYStream>) async -> Void) {
        let built: (handlers: [any ChannelHandler], start: @Sendable () async -> Void)
        do {
            built = try spdySession(context: context, accept: accept, session: session)
        } catch {
            return respond(context: context, status: .internalServerError, message: "unable to upgrade: \(error)")
        }
        var headers = HTTPHeaders()
        headers.add(name: "Connection", value: "Upgrade")
        headers.add(name: "Upgrade", value: "SPDY/3.1")
        headers.add(name: "X-Stream-Protocol-Version", value: chosen)
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: .switchingProtocols, headers: headers))),
                      promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
        if swapPipeline(context: context, to: built.handlers) {
            server.sessions.start(on: context.channel, built.start)
        }
    }

    /// The handlers of a SPDY connection on this channel, and its session.
    private func spdySession(context: ChannelHandlerContext, accept: @escaping @Sendable (SPDYHeaders) -> Bool,
                             session: @escaping @Sendable (SPDYConnection, AsyncStream<SPDYStream>) async -> Void) throws
        -> (handlers: [any ChannelHandler], start: @Sendable () async -> Void) {
        let configuration = server.configuration
        let frameDecoder = try SPDYFrameDecoder(maxPayload: configuration.maxSPDYFrame, maxHeaderBlock: configuration.maxHeaderBlock)
        let frameEncoder = try SPDYFrameEncoder()
        let (streams, continuation) = AsyncStream.makeStream(of: SPDYStream.self)
        let handler = SPDYConnectionHandler(accept: accept, newStreams: continuation,
                                            inboundHighWater: configuration.inboundHighWater, logger: server.logger)
        let connection = SPDYConnection(channel: context.channel, handler: NIOLoopBound(handler, eventLoop: context.eventLoop))
        handler.connection = connection
        return ([ByteToMessageHandler(frameDecoder), MessageToByteHandler(frameEncoder), handler], { await session(connection, streams) })
    }

    // MARK: WebSocket

    /// Answers the WebSocket handshake, then puts the frame codec and what `build` makes for
    /// the subprotocol in place of HTTP, and starts the session `build` returned.
    private func upgradeWebSocket(
        context: ChannelHandlerContext, head: HTTPRequestHead, subprotocol: WebSocketSubprotocol,
        build: @escaping (ChannelHandlerContext) throws -> (handlers: [any ChannelHandler], start: @Sendable () async -> Void)
    ) {
        let upgrader = NIOWebSocketServerUpgrader(
            maxFrameSize: server.configuration.maxWebSocketMessage, automaticErrorHandling: false,
            shouldUpgrade: { channel, _ in
                var headers = HTTPHeaders()
                if let name = subprotocol.name { headers.add(name: "Sec-WebSocket-Protocol", value: name) }
                return channel.eventLoop.makeSucceededFuture(headers)
            },
            upgradePipelineHandler: { channel, _ in channel.eventLoop.makeSucceededVoidFuture() })
        upgrader.buildUpgradeResponse(channel: context.channel, upgradeRequest: head, initialResponseHeaders: HTTPHeaders())
            .assumeIsolated().whenComplete { result in
                switch result {
                case .failure:
                    self.respond(context: context, status: .badRequest, message: "unable to upgrade: bad WebSocket handshake")
                case .success(let headers):
                    self.finishWebSocketUpgrade(context: context, headers: headers, build: build)
                }
            }
    }

    private func finishWebSocketUpgrade(
        context: ChannelHandlerContext, headers: HTTPHeaders,
        build: (ChannelHandlerContext) throws -> (handlers: [any ChannelHandler], start: @Sendable () async -> Void)
    ) {
        let configuration = server.configuration
        let built: (handlers: [any ChannelHandler], start: @Sendable () async -> Void)
        do {
            built = try build(context)
        } catch {
            return respond(context: context, status: .internalServerError, message: "unable to upgrade: \(error)")
        }
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: .switchingProtocols, headers: headers))),
                      promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
        let codec: [any ChannelHandler] = [
            WebSocketFrameEncoder(),
            ByteToMessageHandler(WebSocketFrameDecoder(maxFrameSize: configuration.maxWebSocketMessage)),
            WebSocketProtocolErrorHandler(),
            NIOWebSocketFrameAggregator(minNonFinalFragmentSize: 0, maxAccumulatedFrameCount: 1 << 16,
                                        maxAccumulatedFrameSize: configuration.maxWebSocketMessage),
        ]
        if swapPipeline(context: context, to: codec + built.handlers) {
            server.sessions.start(on: context.channel, built.start)
        }
    }

    // MARK: Pipeline

    /// Replaces the HTTP handlers with `handlers`. The HTTP decoder goes last: bytes the client
    /// sent right behind its request are in it, and its removal passes them on to `handlers`.
    private func swapPipeline(context: ChannelHandlerContext, to handlers: [any ChannelHandler]) -> Bool {
        let pipeline = context.pipeline.syncOperations
        do {
            try pipeline.addHandlers(handlers, position: .last)
            pipeline.removeHandler(encoder, promise: nil)
            pipeline.removeHandler(context: context, promise: nil)
            pipeline.removeHandler(decoder, promise: nil)
            return true
        } catch {
            server.logger.warning("cannot switch a streaming connection's protocol", metadata: ["error": "\(error)"])
            context.close(promise: nil)
            return false
        }
    }

    // MARK: Answers

    private func respond(context: ChannelHandlerContext, status: HTTPResponseStatus, message: String,
                         headers extra: [(String, String)] = []) {
        let body = Array((message + "\n").utf8)
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: "text/plain; charset=utf-8")
        headers.add(name: "X-Content-Type-Options", value: "nosniff")
        headers.add(name: "Content-Length", value: String(body.count))
        headers.add(name: "Connection", value: "close")
        for (name, value) in extra { headers.add(name: name, value: value) }
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: status, headers: headers))), promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(context.channel.allocator.buffer(bytes: body)))), promise: nil)
        let channel = context.channel
        context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in channel.close(promise: nil) }
    }

    static func isWebSocket(_ head: HTTPRequestHead) -> Bool {
        let upgrade = head.headers["Upgrade"].joined(separator: ",").trimmedOfBlanks().lowercased()
        guard upgrade == "websocket" else { return false }
        return head.headers["Connection"].flatMap { $0.split(separator: ",") }
            .contains { $0.trimmedOfBlanks().lowercased() == "upgrade" }
    }
}
