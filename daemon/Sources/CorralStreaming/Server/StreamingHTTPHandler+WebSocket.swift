import NIOCore
import NIOHTTP1
import NIOWebSocket

/// The WebSocket upgrade: the handshake (through NIO's upgrader), the 101, and the frame codec
/// and channel handlers in place of HTTP.
extension StreamingHTTPHandler {
    /// Answers the WebSocket handshake, then puts the frame codec and what `build` makes for
    /// the subprotocol in place of HTTP, and starts the session `build` returned.
    func upgradeWebSocket(
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

    func finishWebSocketUpgrade(
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

    /// kubelet's channel multiplexing for `subprotocol`, reading the client on `readable` only.
    func channelMux(context: ChannelHandlerContext, subprotocol: WebSocketSubprotocol, readable: [UInt8])
        -> (WebSocketChannelHandler, WebSocketConnection) {
        let handler = WebSocketChannelHandler(
            encoding: subprotocol.encoding, closeSignal: subprotocol.version == .v5, readableChannels: readable,
            inboundHighWater: server.configuration.inboundHighWater, eventLoop: context.eventLoop, logger: server.logger)
        let connection = WebSocketConnection(channel: context.channel, inbound: handler.readable,
                                             handler: NIOLoopBound(handler, eventLoop: context.eventLoop))
        return (handler, connection)
    }

    static func isWebSocket(_ head: HTTPRequestHead) -> Bool {
        let upgrade = head.headers["Upgrade"].joined(separator: ",").trimmedOfBlanks().lowercased()
        guard upgrade == "websocket" else { return false }
        return head.headers["Connection"].flatMap { $0.split(separator: ",") }
            .contains { $0.trimmedOfBlanks().lowercased() == "upgrade" }
    }
}
