import CorralStreaming
import StreamingTestSupport
import NIOCore
import NIOPosix

/// A SPDY/3.1 client for kubelet-style streaming servers, lean enough that the bench measures
/// the server rather than itself: frames are parsed in place, and data is only counted unless
/// a stream asks to keep it.
final class SPDYClient: Sendable {
    let channel: any Channel
    private let handler: NIOLoopBound<SPDYClientHandler>

    private init(channel: any Channel, handler: NIOLoopBound<SPDYClientHandler>) {
        self.channel = channel
        self.handler = handler
    }

    /// Connects to `url` (http://HOST:PORT/PATH) and upgrades to SPDY/3.1 with `streamProtocol`
    /// (X-Stream-Protocol-Version), as kubectl does.
    static func connect(_ url: String, streamProtocol: String) async throws -> SPDYClient {
        let (host, port, target) = try parse(url)
        let group = MultiThreadedEventLoopGroup.singleton
        let upgraded = group.any().makePromise(of: Int.self)
        let channel = try await ClientBootstrap(group: group)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            // Reads at least 64 KiB at a time: kubelet's spdystream (containerd) writes each frame
            // field by field, and NIO's adaptive reads, shrunk by those few bytes, would then
            // take its data a kilobyte per read (30 MiB/s where client-go gets 175).
            .channelOption(.recvAllocator, value: AdaptiveRecvByteBufferAllocator(minimum: 64 << 10, initial: 64 << 10,
                                                                                   maximum: 1 << 20))
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(SPDYClientHandler(upgraded: upgraded, deflater: TestDeflate(dictionary: SPDYDictionary.bytes)))
                }
            }
            .connect(host: host, port: port).get()
        let handler = try await channel.eventLoop.submit {
            NIOLoopBound(try channel.pipeline.syncOperations.handler(type: SPDYClientHandler.self), eventLoop: channel.eventLoop)
        }.get()
        let request = "POST \(target) HTTP/1.1\r\nHost: \(host):\(port)\r\nConnection: Upgrade\r\nUpgrade: SPDY/3.1\r\n"
            + "X-Stream-Protocol-Version: \(streamProtocol)\r\nContent-Length: 0\r\n\r\n"
        try await channel.writeAndFlush(channel.allocator.buffer(string: request)).get()
        let status = try await upgraded.futureResult.get()
        guard status == 101 else {
            try? await channel.close().get()
            throw BenchFailure("the streaming server answered \(status) to the upgrade of \(url)")
        }
        return SPDYClient(channel: channel, handler: handler)
    }

    /// Opens a stream and waits for the server's SYN_REPLY. The stream's `reached` completes once
    /// `until` bytes arrived on it.
    func openStream(_ headers: [(String, String)], keep: Bool = true, until: Int = .max) async throws -> OpenedStream {
        let handler = self.handler
        return try await channel.eventLoop.flatSubmit { handler.value.open(headers, keep: keep, until: until) }.get()
    }

    /// Sends one data frame; the future completes once it was handed to the kernel.
    @discardableResult
    func send(stream: UInt32, _ payload: ByteBuffer, fin: Bool = false) -> EventLoopFuture<Void> {
        channel.writeAndFlush(SPDYFrames.data(stream: stream, payload: payload, fin: fin, allocator: channel.allocator))
    }

    /// Half-closes our side of a stream.
    func finish(stream: UInt32) async throws {
        try await send(stream: stream, ByteBuffer(), fin: true).get()
    }

    func close() async {
        try? await channel.close().get()
    }

    /// Host, port and request target of an http:// URL.
    static func parse(_ url: String) throws -> (String, Int, String) {
        guard url.hasPrefix("http://") else { throw BenchFailure("not an http:// URL: \(url)") }
        let rest = url.dropFirst("http://".count)
        let slash = rest.firstIndex(of: "/") ?? rest.endIndex
        let authority = rest[..<slash]
        guard let colon = authority.lastIndex(of: ":"), let port = Int(authority[authority.index(after: colon)...]) else {
            throw BenchFailure("no port in \(url)")
        }
        let host = authority[..<colon].filter { $0 != "[" && $0 != "]" }
        return (String(host), port, slash == rest.endIndex ? "/" : String(rest[slash...]))
    }
}
