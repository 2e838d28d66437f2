import NIOCore
import NIOWebSocket

/// SPDY carried in WebSocket binary messages (subprotocol `SPDY/3.1+portforward.k8s.io`, what
/// kubectl 1.31+ tries first for port-forward): message payloads are a plain byte stream for
/// the SPDY handlers behind this one, and their bytes go out as binary messages.
final class WebSocketTunnelHandler: ChannelDuplexHandler {
    typealias InboundIn = WebSocketFrame
    typealias InboundOut = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = WebSocketFrame

    static let subprotocol = "SPDY/3.1+portforward.k8s.io"

    private var sentClose = false

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        switch frame.opcode {
        case .binary:
            context.fireChannelRead(wrapInboundOut(frame.unmaskedData))
        case .ping:
            context.writeAndFlush(wrapOutboundOut(WebSocketFrame(fin: true, opcode: .pong, data: frame.unmaskedData)), promise: nil)
        case .connectionClose:
            if !sentClose {
                sentClose = true
                var code = context.channel.allocator.buffer(capacity: 2)
                code.writeInteger(UInt16(1000))
                context.write(wrapOutboundOut(WebSocketFrame(fin: true, opcode: .connectionClose, data: code)), promise: nil)
            }
            context.flush()
            context.close(promise: nil)
        case .text:
            // The tunnel is binary only, as client-go's is.
            context.close(promise: nil)
        default:
            break
        }
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let bytes = unwrapOutboundIn(data)
        context.write(wrapOutboundOut(WebSocketFrame(fin: true, opcode: .binary, data: bytes)), promise: promise)
    }

    /// Ending our side of the tunnel is a WebSocket close frame before the TCP half-close.
    func close(context: ChannelHandlerContext, mode: CloseMode, promise: EventLoopPromise<Void>?) {
        if mode == .output && !sentClose {
            sentClose = true
            var code = context.channel.allocator.buffer(capacity: 2)
            code.writeInteger(UInt16(1000))
            context.writeAndFlush(wrapOutboundOut(WebSocketFrame(fin: true, opcode: .connectionClose, data: code)), promise: nil)
        }
        context.close(mode: mode, promise: promise)
    }
}
