import CorralSystem
import Logging
import NIOCore
import NIOHTTP1

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

    let server: ServerContext
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

    // MARK: Pipeline

    /// Replaces the HTTP handlers with `handlers`. The HTTP decoder goes last: bytes the client
    /// sent right behind its request are in it, and its removal passes them on to `handlers`.
    func swapPipeline(context: ChannelHandlerContext, to handlers: [any ChannelHandler]) -> Bool {
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

    func respond(context: ChannelHandlerContext, status: HTTPResponseStatus, message: String,
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
}
