import NIOCore
import NIOHPACK
import NIOHTTP2

/// Answers a request message over the CRI's size limit with RESOURCE_EXHAUSTED, as grpc-go
/// servers (containerd, CRI-O) do. grpc-swift's transport resets such a stream instead, and
/// its client then sees CANCELLED, which tells kubelet nothing about what went wrong.
///
/// Sits first on each HTTP/2 stream and reads only the 5-byte prefixes of the length-prefixed
/// messages as they pass: nothing of a message is held here, and the oversized one is refused
/// before any of its body is buffered.
final class MessageLimitHandler: ChannelInboundHandler, RemovableChannelHandler, @unchecked Sendable {
    // @unchecked: NIO calls a handler on its channel's event loop only.
    typealias InboundIn = HTTP2Frame.FramePayload
    typealias InboundOut = HTTP2Frame.FramePayload
    typealias OutboundOut = HTTP2Frame.FramePayload

    private let limit: Int
    private var prefix = MessagePrefixScanner()
    private var refused = false

    init(limit: Int) {
        self.limit = limit
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !refused else { return }
        let payload = unwrapInboundIn(data)
        if case .data(let frame) = payload, case .byteBuffer(let buffer) = frame.data,
           let length = prefix.scan(buffer.readableBytesView, limit: limit) {
            refuse(context: context, length: length)
            return
        }
        context.fireChannelRead(data)
    }

    /// A trailers-only answer, then RST_STREAM(NO_ERROR): the client may still be sending the
    /// message's body, which HTTP/2 lets a server that has answered stop.
    private func refuse(context: ChannelHandlerContext, length: Int) {
        refused = true
        let headers: HPACKHeaders = [
            ":status": "200",
            "content-type": "application/grpc",
            "grpc-status": "8",
            "grpc-message": "the request message is \(length) bytes, over the limit of \(limit) bytes",
        ]
        context.write(wrapOutboundOut(.headers(.init(headers: headers, endStream: true))), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.rstStream(.noError)), promise: nil)
        context.close(promise: nil)
    }

    /// Installs the limit at the head of an accepted stream's pipeline.
    static func installer(limit: Int) -> @Sendable (any Channel) -> EventLoopFuture<Void> {
        { channel in
            channel.eventLoop.makeCompletedFuture {
                try channel.pipeline.syncOperations.addHandler(MessageLimitHandler(limit: limit), position: .first)
            }
        }
    }
}

/// Follows the gRPC message framing (1 flag byte, 4 bytes of big-endian length, the body)
/// across the DATA frames of one stream, without keeping any body.
struct MessagePrefixScanner: Sendable {
    private var header: [UInt8] = []
    private var bodyLeft = 0

    /// The length of the first message in `bytes` whose prefix declares more than `limit`, if any.
    mutating func scan(_ bytes: some Collection<UInt8>, limit: Int) -> Int? {
        var index = bytes.startIndex
        while index != bytes.endIndex {
            if bodyLeft > 0 {
                let skip = min(bodyLeft, bytes.distance(from: index, to: bytes.endIndex))
                bodyLeft -= skip
                index = bytes.index(index, offsetBy: skip)
                continue
            }
            header.append(bytes[index])
            index = bytes.index(after: index)
            if header.count == 5 {
                let length = header[1...].reduce(0) { $0 << 8 | Int($1) }
                header.removeAll(keepingCapacity: true)
                if length > limit { return length }
                bodyLeft = length
            }
        }
        return nil
    }
}
