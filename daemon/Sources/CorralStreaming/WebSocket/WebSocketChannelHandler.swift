import Logging
import NIOCore
import NIOWebSocket

/// kubelet's channel multiplexing over one WebSocket (apimachinery wsstream): each message's
/// first byte names its channel. With the base64 subprotocols that byte is an ASCII digit and
/// the rest is base64 text. v5 adds channel 255, whose one-byte payload names a channel the
/// client closed (so stdin can end without ending the connection).
final class WebSocketChannelHandler: ChannelInboundHandler {
    typealias InboundIn = WebSocketFrame
    typealias OutboundOut = WebSocketFrame

    static let closeSignal: UInt8 = 255

    private let encoding: WebSocketSubprotocol.Encoding
    private let closeSignalSupported: Bool
    /// Channels the client may send on; messages for any other channel are dropped.
    private(set) var readable: [UInt8: InboundBytes] = [:]
    private var context: ChannelHandlerContext?
    private var loop: (any EventLoop)!
    private var sentClose = false
    private var pausedChannels = 0
    private let logger: Logger

    /// Built on `eventLoop`, which the connection's channel uses.
    init(encoding: WebSocketSubprotocol.Encoding, closeSignal: Bool, readableChannels: [UInt8], inboundHighWater: Int,
         eventLoop: any EventLoop, logger: Logger) {
        self.encoding = encoding
        self.closeSignalSupported = closeSignal
        self.logger = logger
        let bound = NIOLoopBound(self, eventLoop: eventLoop)
        for channel in readableChannels {
            readable[channel] = InboundBytes(highWater: inboundHighWater) {
                eventLoop.execute { bound.value.channelResumed() }
            }
        }
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        loop = context.eventLoop
    }

    func channelInactive(context: ChannelHandlerContext) {
        tearDown()
        context.fireChannelInactive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        tearDown()
    }

    private func tearDown() {
        for inbound in readable.values { inbound.finish() }
        readable.removeAll()
        context = nil
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        logger.debug("WebSocket connection failed", metadata: ["error": "\(error)"])
        context.close(promise: nil)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        switch frame.opcode {
        case .binary, .text:
            receive(context: context, message: frame.unmaskedData)
        case .ping:
            let pong = WebSocketFrame(fin: true, opcode: .pong, data: frame.unmaskedData)
            context.writeAndFlush(wrapOutboundOut(pong), promise: nil)
        case .connectionClose:
            // The client is done: answer its close (once) and hang up.
            for inbound in readable.values { inbound.finish() }
            if sentClose {
                context.close(promise: nil)
            } else {
                sentClose = true
                var payload = frame.unmaskedData
                let code = payload.readInteger(as: UInt16.self) ?? 1000
                var echo = context.channel.allocator.buffer(capacity: 2)
                echo.writeInteger(code)
                let close = WebSocketFrame(fin: true, opcode: .connectionClose, data: echo)
                let bound = NIOLoopBound(context, eventLoop: context.eventLoop)
                context.writeAndFlush(wrapOutboundOut(close)).whenComplete { _ in bound.value.close(promise: nil) }
            }
        default:
            break
        }
    }

    private func receive(context: ChannelHandlerContext, message: ByteBuffer) {
        var message = message
        guard var channel = message.readInteger(as: UInt8.self) else { return }
        var payload: [UInt8]
        switch encoding {
        case .binary:
            payload = Array(message.readableBytesView)
        case .base64:
            guard channel >= UInt8(ascii: "0"), let decoded = Base64.decode(message.readableBytesView) else { return }
            channel -= UInt8(ascii: "0")
            payload = decoded
        }
        if closeSignalSupported && channel == Self.closeSignal {
            if payload.count == 1 { readable[payload[0]]?.finish() }
            return
        }
        guard let inbound = readable[channel], !payload.isEmpty else { return }
        if inbound.yield(payload) {
            pausedChannels += 1
            if pausedChannels == 1 { try? context.channel.syncOptions?.setOption(.autoRead, value: false) }
        }
        payload = []
    }

    func channelResumed() {
        pausedChannels -= 1
        guard pausedChannels == 0, let context else { return }
        try? context.channel.syncOptions?.setOption(.autoRead, value: true)
        context.read()
    }

    // MARK: Sending (on the event loop, through WebSocketConnection)

    func send(channel: UInt8, bytes: [UInt8]) -> EventLoopFuture<Void> {
        guard let context, !sentClose else { return loop.makeFailedFuture(StreamClosedError()) }
        var last = context.eventLoop.makeSucceededVoidFuture()
        var offset = 0
        // An empty write still sends the channel byte: kubelet's "connection is ready" signal.
        repeat {
            let end = min(offset + SPDYConnectionHandler.maxDataChunk, bytes.count)
            let chunk = bytes[offset..<end]
            var buffer: ByteBuffer
            let opcode: WebSocketOpcode
            switch encoding {
            case .binary:
                buffer = context.channel.allocator.buffer(capacity: chunk.count + 1)
                buffer.writeInteger(channel)
                buffer.writeBytes(chunk)
                opcode = .binary
            case .base64:
                buffer = context.channel.allocator.buffer(capacity: chunk.count * 4 / 3 + 5)
                buffer.writeInteger(UInt8(ascii: "0") &+ channel)
                buffer.writeString(Base64.encode(Array(chunk)))
                opcode = .text
            }
            let promise = context.eventLoop.makePromise(of: Void.self)
            context.write(wrapOutboundOut(WebSocketFrame(fin: true, opcode: opcode, data: buffer)), promise: promise)
            last = promise.futureResult
            offset = end
        } while offset < bytes.count
        context.flush()
        return last
    }

    /// Starts the closing handshake; the client's answer closes the connection.
    func sendClose() -> EventLoopFuture<Void> {
        guard let context, !sentClose else { return loop.makeSucceededVoidFuture() }
        sentClose = true
        var code = context.channel.allocator.buffer(capacity: 2)
        code.writeInteger(UInt16(1000))
        let promise = context.eventLoop.makePromise(of: Void.self)
        context.writeAndFlush(wrapOutboundOut(WebSocketFrame(fin: true, opcode: .connectionClose, data: code)), promise: promise)
        return promise.futureResult
    }
}
