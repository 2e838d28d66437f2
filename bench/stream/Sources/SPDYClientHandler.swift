import StreamingTestSupport
import NIOCore

/// What one stream received by the time the server finished it.
struct StreamResult: Sendable {
    /// The bytes, if the stream was opened to keep them; else empty.
    var bytes: [UInt8]
    var count: Int
    /// The server ended the stream with RST_STREAM rather than FIN, as kubelet's spdystream does
    /// to an error stream the client never closed; a reader takes that as the end, as client-go does.
    var reset = false
}

/// A stream the server answered. `finished` completes at its end; `reached` once it has
/// received the bytes asked for when it was opened (or at its end, if that comes first).
struct OpenedStream: Sendable {
    let id: UInt32
    let finished: EventLoopFuture<StreamResult>
    let reached: EventLoopFuture<StreamResult>
}

/// The client's side of one connection to a streaming server: first the HTTP/1.1 answer to the
/// upgrade request, then SPDY frames. It opens streams in id order (the header compression
/// context is shared, so blocks must go out in the order they were compressed) and counts, or
/// keeps, what each stream receives until its FIN. Only data and the frames that end streams
/// matter to the bench; the rest is read past.
final class SPDYClientHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private final class Stream {
        let replied: EventLoopPromise<Void>
        let finished: EventLoopPromise<StreamResult>
        let reached: EventLoopPromise<StreamResult>
        let keep: Bool
        let until: Int
        var answered = false
        var result = StreamResult(bytes: [], count: 0)

        init(loop: any EventLoop, keep: Bool, until: Int) {
            replied = loop.makePromise()
            finished = loop.makePromise()
            reached = loop.makePromise()
            self.keep = keep
            self.until = until
            // A stream that ends first has reached all it will.
            finished.futureResult.cascade(to: reached)
        }

        func answer() {
            guard !answered else { return }
            answered = true
            replied.succeed(())
        }

        func fail(_ error: any Error) {
            if !answered {
                answered = true
                replied.fail(error)
            }
            finished.fail(error)
        }
    }

    private let upgraded: EventLoopPromise<Int>
    private let deflater: TestDeflate
    private var awaitingHead = true
    private var pending: ByteBuffer?
    private var streams: [UInt32: Stream] = [:]
    private var nextStreamID: UInt32 = 1
    private var context: ChannelHandlerContext?

    /// `upgraded` gets the status code of the server's answer to the upgrade request.
    init(upgraded: EventLoopPromise<Int>, deflater: TestDeflate) {
        self.upgraded = upgraded
        self.deflater = deflater
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
    }

    func channelInactive(context: ChannelHandlerContext) {
        let closed = BenchFailure("the streaming server closed the connection")
        if awaitingHead { upgraded.fail(closed) }
        for stream in streams.values { stream.fail(closed) }
        streams.removeAll()
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var incoming = unwrapInboundIn(data)
        var buffer: ByteBuffer
        if var held = pending.take() {
            held.writeBuffer(&incoming)
            buffer = held
        } else {
            buffer = incoming
        }
        if awaitingHead {
            guard let status = readResponseHead(&buffer) else {
                pending = buffer
                return
            }
            awaitingHead = false
            upgraded.succeed(status)
            guard status == 101 else {
                context.close(promise: nil)
                return
            }
        }
        readFrames(&buffer)
        if buffer.readableBytes > 0 {
            buffer.discardReadBytes()
            pending = buffer
        }
    }

    /// The status code once the whole response head is in; it is consumed from `buffer`.
    private func readResponseHead(_ buffer: inout ByteBuffer) -> Int? {
        let view = buffer.readableBytesView
        guard let end = view.firstRange(of: [13, 10, 13, 10]) else { return nil }
        let head = String(decoding: view[view.startIndex..<end.lowerBound], as: UTF8.self)
        buffer.moveReaderIndex(forwardBy: end.upperBound - view.startIndex)
        let statusLine = head.split(separator: "\r\n").first ?? ""
        let parts = statusLine.split(separator: " ")
        return parts.count >= 2 ? Int(parts[1]) ?? 0 : 0
    }

    private func readFrames(_ buffer: inout ByteBuffer) {
        while buffer.readableBytes >= 8 {
            let start = buffer.readerIndex
            guard let word = buffer.getInteger(at: start, as: UInt32.self),
                  let flagsAndLength = buffer.getInteger(at: start + 4, as: UInt32.self) else { return }
            let length = Int(flagsAndLength & 0xff_ffff)
            guard buffer.readableBytes >= 8 + length else { return }
            buffer.moveReaderIndex(forwardBy: 8)
            guard let payload = buffer.readSlice(length: length) else { return }
            let fin = flagsAndLength >> 24 & 1 != 0
            if word & 0x8000_0000 == 0 {
                receiveData(stream: word, payload, fin: fin)
            } else {
                receiveControl(type: UInt16(word & 0xffff), payload)
            }
        }
    }

    private func receiveData(stream id: UInt32, _ payload: ByteBuffer, fin: Bool) {
        guard let stream = streams[id] else { return }
        let before = stream.result.count
        stream.result.count += payload.readableBytes
        if stream.keep { stream.result.bytes += payload.readableBytesView }
        if before < stream.until, stream.result.count >= stream.until { stream.reached.succeed(stream.result) }
        if fin {
            streams[id] = nil
            stream.finished.succeed(stream.result)
        }
    }

    private func receiveControl(type: UInt16, _ payload: ByteBuffer) {
        guard let id = payload.getInteger(at: payload.readerIndex, as: UInt32.self).map({ $0 & 0x7fff_ffff }) else { return }
        switch type {
        case SPDYFrames.synReply:
            streams[id]?.answer()
        case SPDYFrames.rstStream:
            let status = payload.getInteger(at: payload.readerIndex + 4, as: UInt32.self) ?? 0
            guard let stream = streams.removeValue(forKey: id) else { return }
            if stream.answered {
                stream.result.reset = true
                stream.finished.succeed(stream.result)
            } else {
                stream.fail(BenchFailure("the server refused stream \(id) (status \(status))"))
            }
        default:
            break  // SETTINGS, PING, GOAWAY, WINDOW_UPDATE, HEADERS: nothing the bench acts on
        }
    }

    /// Opens a stream; the future completes once the server answered it.
    func open(_ headers: [(String, String)], keep: Bool, until: Int) -> EventLoopFuture<OpenedStream> {
        guard let context else { return upgraded.futureResult.eventLoop.makeFailedFuture(BenchFailure("not connected")) }
        let id = nextStreamID
        nextStreamID += 2
        let stream = Stream(loop: context.eventLoop, keep: keep, until: until)
        streams[id] = stream
        let block = deflater.compress(SPDYTestClient.headerBlock(headers))
        context.writeAndFlush(wrapOutboundOut(SPDYFrames.synStream(id: id, compressedHeaders: block, fin: false,
                                                                   allocator: context.channel.allocator)), promise: nil)
        let (finished, reached) = (stream.finished.futureResult, stream.reached.futureResult)
        return stream.replied.futureResult.map { OpenedStream(id: id, finished: finished, reached: reached) }
    }
}
