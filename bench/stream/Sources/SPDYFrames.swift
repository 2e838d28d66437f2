import NIOCore

/// SPDY/3.1 frames as the client writes them (spec sections 2.2 and 2.6).
enum SPDYFrames {
    static let synStream: UInt16 = 1
    static let synReply: UInt16 = 2
    static let rstStream: UInt16 = 3

    static func synStream(id: UInt32, compressedHeaders: [UInt8], fin: Bool, allocator: ByteBufferAllocator) -> ByteBuffer {
        var frame = allocator.buffer(capacity: 18 + compressedHeaders.count)
        frame.writeBytes([0x80, 0x03, 0x00, UInt8(synStream), fin ? 1 : 0])
        writeBE24(10 + compressedHeaders.count, to: &frame)
        frame.writeInteger(id & 0x7fff_ffff)
        frame.writeInteger(UInt32(0))  // associated stream
        frame.writeInteger(UInt16(0))  // priority, slot
        frame.writeBytes(compressedHeaders)
        return frame
    }

    /// A data frame carrying `payload` (which may be empty, e.g. for a lone FIN).
    static func data(stream: UInt32, payload: ByteBuffer, fin: Bool, allocator: ByteBufferAllocator) -> ByteBuffer {
        var frame = allocator.buffer(capacity: 8 + payload.readableBytes)
        frame.writeInteger(stream & 0x7fff_ffff)
        frame.writeInteger(UInt8(fin ? 1 : 0))
        writeBE24(payload.readableBytes, to: &frame)
        frame.writeImmutableBuffer(payload)
        return frame
    }

    static func writeBE24(_ value: Int, to buffer: inout ByteBuffer) {
        buffer.writeBytes([UInt8(value >> 16 & 0xff), UInt8(value >> 8 & 0xff), UInt8(value & 0xff)])
    }
}
