import NIOCore
import NIOHTTP1

/// The SPDY/3.1 upgrade: version negotiation (X-Stream-Protocol-Version), the 101, and the
/// SPDY handlers in place of HTTP.
extension StreamingHTTPHandler {
    /// kubelet's httpstream.Handshake, then the upgrade headers; answers the failure itself.
    func negotiateSPDY(context: ChannelHandlerContext, head: HTTPRequestHead, supported: [String]) -> String? {
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

    func upgradeSPDY(context: ChannelHandlerContext, chosen: String, accept: @escaping @Sendable (SPDYHeaders) -> Bool,
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
    func spdySession(context: ChannelHandlerContext, accept: @escaping @Sendable (SPDYHeaders) -> Bool,
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
}
