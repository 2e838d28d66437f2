import NIOCore

/// SPDY/3 frames to bytes. Header blocks are compressed here, in the order frames are
/// written, because the peer inflates them with one stream in the order they arrive.
final class SPDYFrameEncoder: MessageToByteEncoder {
    typealias OutboundIn = SPDYFrame

    private let deflater: HeaderDeflater

    init() throws(HeaderCompressionError) {
        deflater = try HeaderDeflater()
    }

    func encode(data frame: SPDYFrame, out: inout ByteBuffer) throws {
        switch frame {
        case .data(let streamID, let fin, var payload):
            out.writeInteger(streamID & 0x7fff_ffff)
            out.writeInteger(UInt32(fin ? SPDYFlags.fin : 0) << 24 | UInt32(payload.readableBytes))
            out.writeBuffer(&payload)
        case .synStream(let streamID, let associated, let priority, let fin, let unidirectional, let headers):
            let block = try deflater.compress(headers.encoded())
            let flags = (fin ? SPDYFlags.fin : 0) | (unidirectional ? SPDYFlags.unidirectional : 0)
            writeControlHeader(type: SPDYControlType.synStream, flags: flags, length: 10 + block.count, to: &out)
            out.writeInteger(streamID & 0x7fff_ffff)
            out.writeInteger(associated & 0x7fff_ffff)
            out.writeInteger(UInt8(priority << 5))
            out.writeInteger(UInt8(0))
            out.writeBytes(block)
        case .synReply(let streamID, let fin, let headers), .headers(let streamID, let fin, let headers):
            let type = if case .synReply = frame { SPDYControlType.synReply } else { SPDYControlType.headers }
            let block = try deflater.compress(headers.encoded())
            writeControlHeader(type: type, flags: fin ? SPDYFlags.fin : 0, length: 4 + block.count, to: &out)
            out.writeInteger(streamID & 0x7fff_ffff)
            out.writeBytes(block)
        case .rstStream(let streamID, let status):
            writeControlHeader(type: SPDYControlType.rstStream, flags: 0, length: 8, to: &out)
            out.writeInteger(streamID & 0x7fff_ffff)
            out.writeInteger(status)
        case .settings(let clear, let entries):
            writeControlHeader(type: SPDYControlType.settings, flags: clear ? SPDYFlags.clearSettings : 0,
                               length: 4 + 8 * entries.count, to: &out)
            out.writeInteger(UInt32(entries.count))
            for entry in entries {
                out.writeInteger(UInt32(entry.flags) << 24 | entry.id & 0x00ff_ffff)
                out.writeInteger(entry.value)
            }
        case .ping(let id):
            writeControlHeader(type: SPDYControlType.ping, flags: 0, length: 4, to: &out)
            out.writeInteger(id)
        case .goAway(let last, let status):
            writeControlHeader(type: SPDYControlType.goAway, flags: 0, length: 8, to: &out)
            out.writeInteger(last & 0x7fff_ffff)
            out.writeInteger(status)
        case .windowUpdate(let streamID, let delta):
            writeControlHeader(type: SPDYControlType.windowUpdate, flags: 0, length: 8, to: &out)
            out.writeInteger(streamID & 0x7fff_ffff)
            out.writeInteger(delta & 0x7fff_ffff)
        case .unknownControl:
            break
        }
    }

    private func writeControlHeader(type: UInt16, flags: UInt8, length: Int, to out: inout ByteBuffer) {
        out.writeInteger(UInt16(0x8000 | 3))
        out.writeInteger(type)
        out.writeInteger(UInt32(flags) << 24 | UInt32(length))
    }
}
