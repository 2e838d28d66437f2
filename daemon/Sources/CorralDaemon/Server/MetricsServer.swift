import NIOCore
import NIOHTTP1
import NIOPosix
import Prometheus

/// The Prometheus text endpoint (`GET /metrics`) on the configured TCP address. Off unless
/// `[metrics] address` is set; it serves nothing else.
struct MetricsServer {
    let registry: PrometheusCollectorRegistry
    /// Refreshes the gauges that are counted rather than recorded (pods and containers by state).
    let beforeScrape: @Sendable () async -> Void

    func start(host: String, port: Int) async throws -> any Channel {
        let registry = self.registry
        let beforeScrape = self.beforeScrape
        return try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.pipeline.configureHTTPServerPipeline().flatMap {
                    channel.pipeline.addHandler(MetricsHandler(registry: registry, beforeScrape: beforeScrape))
                }
            }
            .bind(host: host, port: port).get()
    }

    static func split(_ address: String) -> (host: String, port: Int)? {
        guard let colon = address.lastIndex(of: ":"), let port = Int(address[address.index(after: colon)...]) else { return nil }
        let host = String(address[..<colon]).trimmingCharacters(in: ["[", "]"])
        return (host.isEmpty ? "0.0.0.0" : host, port)
    }
}

private final class MetricsHandler: ChannelInboundHandler, @unchecked Sendable {
    // @unchecked: NIO calls a handler on its channel's event loop only.
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    let registry: PrometheusCollectorRegistry
    let beforeScrape: @Sendable () async -> Void
    private var path = ""

    init(registry: PrometheusCollectorRegistry, beforeScrape: @escaping @Sendable () async -> Void) {
        self.registry = registry
        self.beforeScrape = beforeScrape
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            path = head.uri
        case .body:
            break
        case .end:
            let loop = context.eventLoop
            let bound = NIOLoopBound(context, eventLoop: loop)
            let (path, registry, beforeScrape) = (self.path, self.registry, self.beforeScrape)
            let handler = NIOLoopBound(self, eventLoop: loop)
            Task {
                if path == "/metrics" { await beforeScrape() }
                let body = path == "/metrics" ? registry.emitToBuffer() : Array("not found\n".utf8)
                loop.execute {
                    handler.value.respond(context: bound.value, status: path == "/metrics" ? .ok : .notFound, body: body)
                }
            }
        }
    }

    private func respond(context: ChannelHandlerContext, status: HTTPResponseStatus, body: [UInt8]) {
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: "text/plain; version=0.0.4")
        headers.add(name: "Content-Length", value: String(body.count))
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: status, headers: headers))), promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(context.channel.allocator.buffer(bytes: body)))), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
    }
}
