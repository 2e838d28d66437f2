import CorralSystem
import NIOCore

/// PingThrottle in front of the HTTP/2 handler of each accepted CRI connection.
final class PingThrottleHandler: ChannelInboundHandler, RemovableChannelHandler, @unchecked Sendable {
    // @unchecked: NIO calls a handler on its channel's event loop only.
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    private var throttle = PingThrottle()

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let buffer = unwrapInboundIn(data)
        let passed = throttle.feed(buffer.readableBytesView, now: Clock.monotonicNanos)
        guard !passed.isEmpty else { return }
        context.fireChannelRead(wrapInboundOut(context.channel.allocator.buffer(bytes: passed)))
    }

    /// Installs the throttle at the head of an accepted connection's pipeline.
    @Sendable static func install(on channel: any Channel) -> EventLoopFuture<Void> {
        channel.eventLoop.makeCompletedFuture {
            try channel.pipeline.syncOperations.addHandler(PingThrottleHandler(), position: .first)
        }
    }
}
