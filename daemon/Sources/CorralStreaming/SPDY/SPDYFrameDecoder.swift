import NIOCore

/// Bytes to SPDY/3 frames. Every frame starts with 8 bytes: a control bit; then either
/// version (15 bits) and type (16), or a stream id (31); then flags (8) and length (24).
/// A frame longer than `maxPayload` ends the connection before it is buffered.
final class SPDYFrameDecoder: ByteToMessageDecoder {
    typealias InboundOut = SPDYFrame

    private let inflater: HeaderInflater
    private let maxPayload: Int

    init(maxPayload: Int, maxHeaderBlock: Int) throws(HeaderCompressionError) {
        self.maxPayload = maxPayload
        self.inflater = try HeaderInflater(maxOutput: maxHeaderBlock)
    }

    func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        guard let first = buffer.getInteger(at: buffer.readerIndex, as: UInt32.self),
              let flagsAndLength = buffer.getInteger(at: buffer.readerIndex + 4, as: UInt32.self) else {
            return .needMoreData
        }
        let length = Int(flagsAndLength & 0x00ff_ffff)
        let flags = UInt8(flagsAndLength >> 24)
        if length > maxPayload { throw SPDYProtocolError.frameTooLarge(length: length, limit: maxPayload) }
        guard buffer.readableBytes >= 8 + length else { return .needMoreData }
        buffer.moveReaderIndex(forwardBy: 8)
        var payload = buffer.readSlice(length: length)!

        let frame: SPDYFrame
        if first & 0x8000_0000 == 0 {
            frame = .data(streamID: first & 0x7fff_ffff, fin: flags & SPDYFlags.fin != 0, payload: payload)
        } else {
            let version = UInt16(first >> 16 & 0x7fff)
            guard version == 3 else { throw SPDYProtocolError.unsupportedVersion(version) }
            frame = try control(type: UInt16(first & 0xffff), flags: flags, payload: &payload)
        }
        context.fireChannelRead(wrapInboundOut(frame))
        return .continue
    }

    func decodeLast(context: ChannelHandlerContext, buffer: inout ByteBuffer, seenEOF: Bool) throws -> DecodingState {
        while try decode(context: context, buffer: &buffer) == .continue {}
        return .needMoreData
    }

    private func control(type: UInt16, flags: UInt8, payload: inout ByteBuffer) throws -> SPDYFrame {
        let fin = flags & SPDYFlags.fin != 0
        switch type {
        case SPDYControlType.synStream:
            guard let streamID = payload.readInteger(as: UInt32.self),
                  let associated = payload.readInteger(as: UInt32.self),
                  let priority = payload.readInteger(as: UInt8.self),
                  payload.readInteger(as: UInt8.self) != nil else { throw SPDYProtocolError.malformed("short SYN_STREAM") }
            let headers = try headerBlock(&payload)
            return .synStream(streamID: streamID & 0x7fff_ffff, associatedStreamID: associated & 0x7fff_ffff,
                              priority: priority >> 5, fin: fin, unidirectional: flags & SPDYFlags.unidirectional != 0,
                              headers: headers)
        case SPDYControlType.synReply, SPDYControlType.headers:
            guard let streamID = payload.readInteger(as: UInt32.self) else { throw SPDYProtocolError.malformed("short header frame") }
            let headers = try headerBlock(&payload)
            return type == SPDYControlType.synReply
                ? .synReply(streamID: streamID & 0x7fff_ffff, fin: fin, headers: headers)
                : .headers(streamID: streamID & 0x7fff_ffff, fin: fin, headers: headers)
        case SPDYControlType.rstStream:
            guard let streamID = payload.readInteger(as: UInt32.self), let status = payload.readInteger(as: UInt32.self) else {
                throw SPDYProtocolError.malformed("short RST_STREAM")
            }
            return .rstStream(streamID: streamID & 0x7fff_ffff, status: status)
        case SPDYControlType.settings:
            guard let count = payload.readInteger(as: UInt32.self), Int(count) <= payload.readableBytes / 8 else {
                throw SPDYProtocolError.malformed("bad SETTINGS count")
            }
            var entries: [SPDYSetting] = []
            for _ in 0..<count {
                let flagsAndID = payload.readInteger(as: UInt32.self)!
                let value = payload.readInteger(as: UInt32.self)!
                entries.append(SPDYSetting(flags: UInt8(flagsAndID >> 24), id: flagsAndID & 0x00ff_ffff, value: value))
            }
            return .settings(clearPersisted: flags & SPDYFlags.clearSettings != 0, entries: entries)
        case SPDYControlType.ping:
            guard let id = payload.readInteger(as: UInt32.self) else { throw SPDYProtocolError.malformed("short PING") }
            return .ping(id: id)
        case SPDYControlType.goAway:
            guard let last = payload.readInteger(as: UInt32.self) else { throw SPDYProtocolError.malformed("short GOAWAY") }
            // SPDY/2 peers send no status; treat it as OK.
            let status = payload.readInteger(as: UInt32.self) ?? SPDYGoAwayStatus.ok
            return .goAway(lastGoodStreamID: last & 0x7fff_ffff, status: status)
        case SPDYControlType.windowUpdate:
            guard let streamID = payload.readInteger(as: UInt32.self), let delta = payload.readInteger(as: UInt32.self) else {
                throw SPDYProtocolError.malformed("short WINDOW_UPDATE")
            }
            return .windowUpdate(streamID: streamID & 0x7fff_ffff, delta: delta & 0x7fff_ffff)
        default:
            return .unknownControl(type: type)
        }
    }

    private func headerBlock(_ payload: inout ByteBuffer) throws -> SPDYHeaders {
        let compressed = payload.readBytes(length: payload.readableBytes) ?? []
        let block: [UInt8]
        do {
            block = try inflater.decompress(compressed)
        } catch {
            throw SPDYProtocolError.malformed("header block: \(error.description)")
        }
        return try SPDYHeaders.decode(block)
    }
}
