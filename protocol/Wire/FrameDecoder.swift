/// Turns a byte stream into frames. No I/O: feed it whatever arrived, in pieces of any size,
/// then take events until it has none.
///
/// A frame announcing more than the limit is not buffered: the decoder reports it once as
/// `.oversized` and silently skips its payload, so the connection can go on.
public struct FrameDecoder: Sendable {
    public enum Event: Sendable, Equatable {
        case frame(Frame)
        case oversized(streamID: UInt32, typeByte: UInt8, length: Int)
    }

    public let maxPayloadLength: Int
    private var buffer: [UInt8] = []
    private var readIndex = 0
    private var skipRemaining = 0

    public init(maxPayloadLength: Int = Frame.maxPayloadLength) {
        self.maxPayloadLength = maxPayloadLength
    }

    /// Bytes received but not yet returned as part of a frame.
    public var bufferedCount: Int { buffer.count - readIndex }

    public mutating func feed(_ bytes: some Collection<UInt8>) {
        guard !bytes.isEmpty else { return }
        var incoming = bytes[...]
        if skipRemaining > 0 {
            let skipped = min(skipRemaining, incoming.count)
            skipRemaining -= skipped
            incoming = incoming.dropFirst(skipped)
        }
        buffer.append(contentsOf: incoming)
    }

    public mutating func next() -> Event? {
        if skipRemaining > 0 {
            let skipped = min(skipRemaining, bufferedCount)
            skipRemaining -= skipped
            readIndex += skipped
            if skipRemaining > 0 { compact(); return nil }
        }
        guard bufferedCount >= Frame.headerLength else { compact(); return nil }
        let length = Int(readUInt32(at: readIndex))
        let streamID = readUInt32(at: readIndex + 4)
        let typeByte = buffer[readIndex + 8]
        let flags = FrameFlags(rawValue: buffer[readIndex + 9])
        if length > maxPayloadLength {
            readIndex += Frame.headerLength
            skipRemaining = length
            let skipped = min(skipRemaining, bufferedCount)
            skipRemaining -= skipped
            readIndex += skipped
            compact()
            return .oversized(streamID: streamID, typeByte: typeByte, length: length)
        }
        guard bufferedCount >= Frame.headerLength + length else { compact(); return nil }
        let start = readIndex + Frame.headerLength
        let payload = Array(buffer[start..<start + length])
        readIndex = start + length
        return .frame(Frame(streamID: streamID, typeByte: typeByte, flags: flags, payload: payload))
    }

    private func readUInt32(at index: Int) -> UInt32 {
        UInt32(buffer[index]) << 24 | UInt32(buffer[index + 1]) << 16
            | UInt32(buffer[index + 2]) << 8 | UInt32(buffer[index + 3])
    }

    /// Drops consumed bytes once they are the larger part of the buffer, keeping appends cheap.
    private mutating func compact() {
        if readIndex == buffer.count {
            buffer.removeAll(keepingCapacity: buffer.capacity <= 1 << 16)
            readIndex = 0
        } else if readIndex > 4096 && readIndex * 2 > buffer.count {
            buffer.removeFirst(readIndex)
            readIndex = 0
        }
    }
}
