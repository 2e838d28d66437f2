import NIOCore
import NIOHTTP1
import NIOPosix
import NIOWebSocket
import Synchronization

/// A WebSocket client through NIO's client upgrade, speaking kubelet's channel framing.
public final class WebSocketTestClient: Sendable {
    public let channel: any Channel
    /// The server's Sec-WebSocket-Protocol answer, if any.
    public let subprotocol: String?
    private let frames: TestQueue<WebSocketFrame>

    private init(channel: any Channel, subprotocol: String?, frames: TestQueue<WebSocketFrame>) {
        self.channel = channel
        self.subprotocol = subprotocol
        self.frames = frames
    }

    public static func connect(_ url: String, protocols: [String]) async throws -> WebSocketTestClient {
        let (host, port, target) = try TestURL.parse(url)
        let frames = TestQueue<WebSocketFrame>()
        let upgraded = TestQueue<String?>()
        let upgrader = NIOWebSocketClientUpgrader(maxFrameSize: 32 << 20) { channel, response in
            upgraded.push(response.headers["Sec-WebSocket-Protocol"].first)
            return channel.eventLoop.makeCompletedFuture {
                try channel.pipeline.syncOperations.addHandler(FrameCollector(frames: frames))
            }
        }
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelInitializer { channel in
                channel.pipeline.addHTTPClientHandlers(
                    leftOverBytesStrategy: .forwardBytes,
                    withClientUpgrade: (upgraders: [upgrader], completionHandler: { _ in }))
            }
            .connect(host: host, port: port).get()
        var headers = HTTPHeaders([("Host", "\(host):\(port)"), ("Content-Length", "0")])
        if !protocols.isEmpty { headers.add(name: "Sec-WebSocket-Protocol", value: protocols.joined(separator: ", ")) }
        let head = HTTPRequestHead(version: .http1_1, method: .GET, uri: target, headers: headers)
        channel.write(HTTPClientRequestPart.head(head), promise: nil)
        try await channel.writeAndFlush(HTTPClientRequestPart.end(nil)).get()
        channel.closeFuture.whenComplete { _ in
            upgraded.finish()
            frames.finish()
        }
        guard let negotiated = await upgraded.next() else { throw StreamTestFailure("WebSocket upgrade failed") }
        return WebSocketTestClient(channel: channel, subprotocol: negotiated, frames: frames)
    }

    /// A masked binary message: the channel byte, then the payload.
    public func send(channel number: UInt8, _ bytes: [UInt8]) async throws {
        var buffer = channel.allocator.buffer(capacity: bytes.count + 1)
        buffer.writeInteger(number)
        buffer.writeBytes(bytes)
        try await sendFrame(WebSocketFrame(fin: true, opcode: .binary, maskKey: .random(), data: buffer))
    }

    /// A masked text message as is (for the base64 subprotocols).
    public func sendText(_ text: String) async throws {
        try await sendFrame(WebSocketFrame(fin: true, opcode: .text, maskKey: .random(), data: channel.allocator.buffer(string: text)))
    }

    public func sendFrame(_ frame: WebSocketFrame) async throws {
        try await channel.writeAndFlush(frame).get()
    }

    /// The next data message's channel and payload; nil after a close frame or the end.
    public func receive() async -> (channel: UInt8, payload: [UInt8], text: Bool)? {
        while let frame = await frames.next() {
            switch frame.opcode {
            case .binary, .text:
                var data = frame.unmaskedData
                guard let number = data.readInteger(as: UInt8.self) else { continue }
                return (number, Array(data.readableBytesView), frame.opcode == .text)
            case .connectionClose:
                return nil
            default:
                continue
            }
        }
        return nil
    }

    /// Every message until the server closes, grouped by channel.
    public func receiveAll() async -> [UInt8: [UInt8]] {
        var out: [UInt8: [UInt8]] = [:]
        while let (number, payload, _) = await receive() { out[number, default: []] += payload }
        return out
    }

    public func close() async {
        try? await channel.close().get()
    }

    private final class FrameCollector: ChannelInboundHandler, Sendable {
        typealias InboundIn = WebSocketFrame
        typealias OutboundOut = WebSocketFrame
        let frames: TestQueue<WebSocketFrame>
        init(frames: TestQueue<WebSocketFrame>) { self.frames = frames }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            let frame = unwrapInboundIn(data)
            frames.push(frame)
            if frame.opcode == .connectionClose {
                // Answer the server's close, as a well-behaved client does.
                let reply = WebSocketFrame(fin: true, opcode: .connectionClose, maskKey: .random(), data: frame.unmaskedData)
                context.writeAndFlush(wrapOutboundOut(reply), promise: nil)
            }
        }

        func channelInactive(context: ChannelHandlerContext) {
            frames.finish()
        }
    }
}
