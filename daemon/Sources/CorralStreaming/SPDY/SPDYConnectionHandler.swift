import Logging
import NIOCore

/// The server side of one SPDY/3.1 connection, as kubelet's spdystream plays it: the client
/// opens every stream; the server answers each with SYN_REPLY (or RST_STREAM when `accept`
/// refuses its headers) and hands it on through `newStreams`.
///
/// Flow control: spdystream neither sends WINDOW_UPDATE nor waits for one, so the server does
/// not hold its sending to the peer's window either. It does acknowledge what it reads, once per
/// read from the socket (not per frame: a bulk upload would cost a write for every 32 KiB), so a
/// client that keeps to its window is never stalled. Back-pressure comes from TCP: when a
/// stream's reader falls behind, the connection stops reading the socket.
final class SPDYConnectionHandler: ChannelInboundHandler {
    typealias InboundIn = SPDYFrame
    typealias OutboundOut = SPDYFrame

    private struct Stream {
        let inbound: InboundBytes
        var localClosed = false
        var remoteClosed = false
        var unacknowledged = 0
    }

    /// Acknowledge received data once this much has piled up (half the default window).
    private static let windowUpdateThreshold = 32 * 1024
    /// Writes are cut into data frames of this size so that streams interleave.
    static let maxDataChunk = 64 * 1024

    private var streams: [UInt32: Stream] = [:]
    private var lastClientStreamID: UInt32 = 0
    private var acceptingStreams = true
    private var sessionUnacknowledged = 0
    /// Streams that crossed the threshold during the current read, acknowledged at its end.
    private var toAcknowledge: [UInt32] = []
    private var pausedStreams = 0
    private var context: ChannelHandlerContext?
    private var loop: (any EventLoop)!
    private var bound: NIOLoopBound<SPDYConnectionHandler>?
    /// Set by whoever builds the pipeline; cleared when the channel goes, breaking the cycle.
    var connection: SPDYConnection?

    private let accept: @Sendable (SPDYHeaders) -> Bool
    private let newStreams: AsyncStream<SPDYStream>.Continuation
    private let inboundHighWater: Int
    private let logger: Logger

    init(accept: @escaping @Sendable (SPDYHeaders) -> Bool, newStreams: AsyncStream<SPDYStream>.Continuation,
         inboundHighWater: Int, logger: Logger) {
        self.accept = accept
        self.newStreams = newStreams
        self.inboundHighWater = inboundHighWater
        self.logger = logger
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        loop = context.eventLoop
        bound = NIOLoopBound(self, eventLoop: context.eventLoop)
    }

    func channelInactive(context: ChannelHandlerContext) {
        tearDown()
        context.fireChannelInactive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        tearDown()
    }

    private func tearDown() {
        for stream in streams.values { stream.inbound.finish() }
        streams.removeAll()
        acceptingStreams = false
        newStreams.finish()
        context = nil
        connection = nil
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        logger.debug("SPDY connection failed", metadata: ["error": "\(error)"])
        if error is SPDYProtocolError {
            context.writeAndFlush(wrapOutboundOut(.goAway(lastGoodStreamID: lastClientStreamID, status: SPDYGoAwayStatus.protocolError)),
                                  promise: nil)
        }
        context.close(promise: nil)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .synStream(let streamID, _, _, let fin, _, let headers):
            receiveSynStream(context: context, streamID: streamID, fin: fin, headers: headers)
        case .data(let streamID, let fin, let payload):
            receiveData(context: context, streamID: streamID, fin: fin, payload: payload)
        case .rstStream(let streamID, _):
            streams.removeValue(forKey: streamID)?.inbound.finish()
        case .ping(let id):
            // Odd ids are the client's to answer; an even one would be an echo of ours.
            if id & 1 == 1 { context.writeAndFlush(wrapOutboundOut(.ping(id: id)), promise: nil) }
        case .goAway:
            acceptingStreams = false
            newStreams.finish()
        case .synReply, .headers, .settings, .windowUpdate, .unknownControl:
            break
        }
    }

    private func receiveSynStream(context: ChannelHandlerContext, streamID: UInt32, fin: Bool, headers: SPDYHeaders) {
        guard streamID != 0 else {
            // Not even a stream to refuse: the peer is broken.
            errorCaught(context: context, error: SPDYProtocolError.malformed("SYN_STREAM for stream 0"))
            return
        }
        guard streamID & 1 == 1, streamID > lastClientStreamID else {
            context.writeAndFlush(wrapOutboundOut(.rstStream(streamID: streamID, status: SPDYResetStatus.protocolError)), promise: nil)
            return
        }
        lastClientStreamID = streamID
        guard acceptingStreams, let connection, let bound else {
            context.writeAndFlush(wrapOutboundOut(.rstStream(streamID: streamID, status: SPDYResetStatus.refusedStream)), promise: nil)
            return
        }
        guard accept(headers) else {
            logger.debug("SPDY stream refused", metadata: ["headers": "\(headers.entries)"])
            context.writeAndFlush(wrapOutboundOut(.rstStream(streamID: streamID, status: SPDYResetStatus.cancel)), promise: nil)
            return
        }
        let loop = context.eventLoop
        let inbound = InboundBytes(highWater: inboundHighWater) {
            loop.execute { bound.value.streamResumed() }
        }
        if fin { inbound.finish() }
        streams[streamID] = Stream(inbound: inbound, remoteClosed: fin)
        context.writeAndFlush(wrapOutboundOut(.synReply(streamID: streamID, fin: false, headers: SPDYHeaders())), promise: nil)
        newStreams.yield(SPDYStream(id: streamID, headers: headers, inbound: inbound, connection: connection))
    }

    private func receiveData(context: ChannelHandlerContext, streamID: UInt32, fin: Bool, payload: ByteBuffer) {
        // Data for a stream that is gone (reset, or finished both ways) is dropped, as spdystream does.
        guard var stream = streams[streamID], !stream.remoteClosed else { return }
        let count = payload.readableBytes
        if count > 0 {
            if stream.inbound.yield(Array(payload.readableBytesView)) {
                pausedStreams += 1
                if pausedStreams == 1 { try? context.channel.syncOptions?.setOption(.autoRead, value: false) }
            }
            let before = stream.unacknowledged
            stream.unacknowledged += count
            sessionUnacknowledged += count
            if before < Self.windowUpdateThreshold && stream.unacknowledged >= Self.windowUpdateThreshold {
                toAcknowledge.append(streamID)
            }
        }
        if fin {
            stream.remoteClosed = true
            stream.inbound.finish()
        }
        if stream.remoteClosed && stream.localClosed {
            streams.removeValue(forKey: streamID)
        } else {
            streams[streamID] = stream
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        var acknowledged = false
        for streamID in toAcknowledge {
            // A stream the client finished in the meantime sends nothing more to make room for.
            guard var stream = streams[streamID], !stream.remoteClosed, stream.unacknowledged > 0 else { continue }
            context.write(wrapOutboundOut(.windowUpdate(streamID: streamID, delta: UInt32(stream.unacknowledged))), promise: nil)
            stream.unacknowledged = 0
            streams[streamID] = stream
            acknowledged = true
        }
        toAcknowledge.removeAll(keepingCapacity: true)
        if sessionUnacknowledged >= Self.windowUpdateThreshold {
            context.write(wrapOutboundOut(.windowUpdate(streamID: 0, delta: UInt32(sessionUnacknowledged))), promise: nil)
            sessionUnacknowledged = 0
            acknowledged = true
        }
        if acknowledged { context.flush() }
        context.fireChannelReadComplete()
    }

    private func streamResumed() {
        pausedStreams -= 1
        guard pausedStreams == 0, let context else { return }
        try? context.channel.syncOptions?.setOption(.autoRead, value: true)
        context.read()
    }

    // MARK: Sending (on the event loop, through SPDYConnection)

    func send(streamID: UInt32, bytes: [UInt8]) -> EventLoopFuture<Void> {
        guard let context, let stream = streams[streamID], !stream.localClosed else {
            return loop.makeFailedFuture(StreamClosedError())
        }
        guard !bytes.isEmpty else { return context.eventLoop.makeSucceededVoidFuture() }
        var last = context.eventLoop.makeSucceededVoidFuture()
        var offset = 0
        while offset < bytes.count {
            let end = min(offset + Self.maxDataChunk, bytes.count)
            let promise = context.eventLoop.makePromise(of: Void.self)
            let payload = context.channel.allocator.buffer(bytes: bytes[offset..<end])
            context.write(wrapOutboundOut(.data(streamID: streamID, fin: false, payload: payload)), promise: promise)
            last = promise.futureResult
            offset = end
        }
        context.flush()
        return last
    }

    /// Half-closes the stream: an empty data frame with FIN.
    func finish(streamID: UInt32) -> EventLoopFuture<Void> {
        guard let context, var stream = streams[streamID], !stream.localClosed else {
            return loop.makeSucceededVoidFuture()
        }
        stream.localClosed = true
        if stream.remoteClosed {
            streams.removeValue(forKey: streamID)
        } else {
            streams[streamID] = stream
        }
        let promise = context.eventLoop.makePromise(of: Void.self)
        context.writeAndFlush(wrapOutboundOut(.data(streamID: streamID, fin: true, payload: ByteBuffer())), promise: promise)
        return promise.futureResult
    }

    func reset(streamID: UInt32) -> EventLoopFuture<Void> {
        guard let context, let stream = streams.removeValue(forKey: streamID) else {
            return loop.makeSucceededVoidFuture()
        }
        stream.inbound.finish()
        let promise = context.eventLoop.makePromise(of: Void.self)
        context.writeAndFlush(wrapOutboundOut(.rstStream(streamID: streamID, status: SPDYResetStatus.cancel)), promise: promise)
        return promise.futureResult
    }

    /// No new streams from here on; tells the client which was the last one taken.
    func goAway() -> EventLoopFuture<Void> {
        acceptingStreams = false
        newStreams.finish()
        guard let context else { return loop.makeSucceededVoidFuture() }
        let promise = context.eventLoop.makePromise(of: Void.self)
        context.writeAndFlush(wrapOutboundOut(.goAway(lastGoodStreamID: lastClientStreamID, status: SPDYGoAwayStatus.ok)),
                              promise: promise)
        return promise.futureResult
    }
}
