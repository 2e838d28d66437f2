import CorralStreaming
import NIOCore
import NIOPosix
import Synchronization

/// A raw TCP client for the tests: bytes out, bytes in, nothing in between.
public final class TestTCPConnection: Sendable {
    public let channel: any Channel
    private let inbound: InboundBytes
    private let buffer = Mutex<[UInt8]>([])

    private init(channel: any Channel, inbound: InboundBytes) {
        self.channel = channel
        self.inbound = inbound
    }

    public static func connect(host: String, port: Int) async throws -> TestTCPConnection {
        let (stream, continuation) = InboundBytes.makeStream()
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelOption(.allowRemoteHalfClosure, value: true)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(Collector(continuation: continuation))
                }
            }
            .connect(host: host, port: port).get()
        return TestTCPConnection(channel: channel, inbound: stream)
    }

    public static func connect(url: String) async throws -> TestTCPConnection {
        let (host, port, _) = try TestURL.parse(url)
        return try await connect(host: host, port: port)
    }

    public func send(_ bytes: [UInt8]) async throws {
        try await channel.writeAndFlush(channel.allocator.buffer(bytes: bytes)).get()
    }

    public func send(_ text: String) async throws {
        try await send(Array(text.utf8))
    }

    /// The next chunk from the server; nil at end of stream.
    public func receive() async -> [UInt8]? {
        let pending = buffer.withLock { b -> [UInt8]? in
            guard !b.isEmpty else { return nil }
            defer { b = [] }
            return b
        }
        if let pending { return pending }
        var it = inbound.makeAsyncIterator()
        return await it.next()
    }

    /// Exactly `count` bytes, or nil if the stream ends first.
    public func receive(exactly count: Int) async -> [UInt8]? {
        var out: [UInt8] = []
        while out.count < count {
            guard let chunk = await receive() else { return nil }
            out += chunk
        }
        if out.count > count {
            let rest = Array(out[count...])
            buffer.withLock { $0 = rest + $0 }
            out.removeLast(out.count - count)
        }
        return out
    }

    /// Puts bytes back to be received again.
    public func unread(_ bytes: [UInt8]) {
        buffer.withLock { $0 = bytes + $0 }
    }

    /// Everything until the server closes.
    public func receiveAll() async -> [UInt8] {
        var out: [UInt8] = []
        while let chunk = await receive() { out += chunk }
        return out
    }

    public func close() async {
        try? await channel.close().get()
    }

    /// An HTTP/1.1 request head, then the response head; the bytes after it stay buffered.
    public func request(_ method: String, _ url: String, headers: [(String, String)]) async throws -> TestHTTPResponse {
        let (host, port, target) = try TestURL.parse(url)
        var text = "\(method) \(target) HTTP/1.1\r\nHost: \(host):\(port)\r\n"
        for (name, value) in headers { text += "\(name): \(value)\r\n" }
        if method == "POST" && !headers.contains(where: { $0.0.lowercased() == "content-length" }) {
            text += "Content-Length: 0\r\n"
        }
        text += "\r\n"
        try await send(text)
        return try await readResponseHead()
    }

    public func readResponseHead() async throws -> TestHTTPResponse {
        var data: [UInt8] = []
        while true {
            if let end = Self.headEnd(data) {
                unread(Array(data[end...]))
                return try TestHTTPResponse(head: String(decoding: data[..<end], as: UTF8.self))
            }
            guard let chunk = await receive() else { throw StreamTestFailure("connection closed before a response head") }
            data += chunk
        }
    }

    private static func headEnd(_ data: [UInt8]) -> Int? {
        guard data.count >= 4 else { return nil }
        for i in 0...(data.count - 4) where data[i] == 13 && data[i + 1] == 10 && data[i + 2] == 13 && data[i + 3] == 10 {
            return i + 4
        }
        return nil
    }

    private final class Collector: ChannelInboundHandler, Sendable {
        typealias InboundIn = ByteBuffer
        let continuation: InboundBytes.Continuation
        init(continuation: InboundBytes.Continuation) { self.continuation = continuation }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            continuation.yield(Array(unwrapInboundIn(data).readableBytesView))
        }

        func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
            if case ChannelEvent.inputClosed = event { continuation.finish() }
            context.fireUserInboundEventTriggered(event)
        }

        func channelInactive(context: ChannelHandlerContext) {
            continuation.finish()
        }
    }
}
