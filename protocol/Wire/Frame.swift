/// The kind of a ttrpc frame (the header's type byte).
public enum FrameType: UInt8, Sendable {
    case request = 1
    case response = 2
    case data = 3
}

/// The header's flags byte. Meaning depends on the frame type; see PROTOCOL.md.
public struct FrameFlags: OptionSet, Sendable, Hashable {
    public let rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    /// The sender sends nothing more on this stream.
    public static let remoteClosed = FrameFlags(rawValue: 1)
    /// The sender will send data frames after this request.
    public static let remoteOpen = FrameFlags(rawValue: 2)
    /// The frame carries no payload (an empty data frame that only closes).
    public static let noData = FrameFlags(rawValue: 4)
}

/// One ttrpc frame: a 10-byte header and a payload.
public struct Frame: Sendable, Equatable {
    public static let headerLength = 10
    /// Payloads over this are refused on both sides.
    public static let maxPayloadLength = 4 << 20

    public var streamID: UInt32
    /// The raw type byte; `type` is nil for bytes no version of ttrpc defines.
    public var typeByte: UInt8
    public var flags: FrameFlags
    public var payload: [UInt8]

    public var type: FrameType? { FrameType(rawValue: typeByte) }

    public init(streamID: UInt32, type: FrameType, flags: FrameFlags = [], payload: [UInt8] = []) {
        self.init(streamID: streamID, typeByte: type.rawValue, flags: flags, payload: payload)
    }

    public init(streamID: UInt32, typeByte: UInt8, flags: FrameFlags, payload: [UInt8]) {
        self.streamID = streamID
        self.typeByte = typeByte
        self.flags = flags
        self.payload = payload
    }

    /// The bytes on the wire. Throws when the payload is too large to send.
    public func encoded() throws(FrameError) -> [UInt8] {
        guard payload.count <= Frame.maxPayloadLength else {
            throw .payloadTooLarge(streamID: streamID, length: payload.count)
        }
        var bytes = [UInt8]()
        bytes.reserveCapacity(Frame.headerLength + payload.count)
        Self.appendBigEndian(UInt32(payload.count), to: &bytes)
        Self.appendBigEndian(streamID, to: &bytes)
        bytes.append(typeByte)
        bytes.append(flags.rawValue)
        bytes += payload
        return bytes
    }

    static func appendBigEndian(_ value: UInt32, to bytes: inout [UInt8]) {
        bytes.append(UInt8(truncatingIfNeeded: value >> 24))
        bytes.append(UInt8(truncatingIfNeeded: value >> 16))
        bytes.append(UInt8(truncatingIfNeeded: value >> 8))
        bytes.append(UInt8(truncatingIfNeeded: value))
    }
}

public enum FrameError: Error, Equatable, Sendable, CustomStringConvertible {
    case payloadTooLarge(streamID: UInt32, length: Int)

    public var description: String {
        switch self {
        case .payloadTooLarge(let id, let length):
            "frame on stream \(id) carries \(length) bytes, over the \(Frame.maxPayloadLength)-byte limit"
        }
    }
}
