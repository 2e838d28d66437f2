import NIOCore

/// The frames of SPDY/3.1 (draft-mbelshe-httpbis-spdy-00 with the 3.1 flow-control changes),
/// as they are after decoding: header blocks already inflated.
enum SPDYFrame: Sendable {
    case synStream(streamID: UInt32, associatedStreamID: UInt32, priority: UInt8, fin: Bool, unidirectional: Bool,
                   headers: SPDYHeaders)
    case synReply(streamID: UInt32, fin: Bool, headers: SPDYHeaders)
    case rstStream(streamID: UInt32, status: UInt32)
    case settings(clearPersisted: Bool, entries: [SPDYSetting])
    case ping(id: UInt32)
    case goAway(lastGoodStreamID: UInt32, status: UInt32)
    case headers(streamID: UInt32, fin: Bool, headers: SPDYHeaders)
    case windowUpdate(streamID: UInt32, delta: UInt32)
    case data(streamID: UInt32, fin: Bool, payload: ByteBuffer)
    /// A control frame type this version does not define; the spec says to ignore it.
    case unknownControl(type: UInt16)
}

struct SPDYSetting: Sendable, Equatable {
    var flags: UInt8
    var id: UInt32
    var value: UInt32
}

/// Control frame type codes.
enum SPDYControlType {
    static let synStream: UInt16 = 1
    static let synReply: UInt16 = 2
    static let rstStream: UInt16 = 3
    static let settings: UInt16 = 4
    static let ping: UInt16 = 6
    static let goAway: UInt16 = 7
    static let headers: UInt16 = 8
    static let windowUpdate: UInt16 = 9
}

/// RST_STREAM status codes.
enum SPDYResetStatus {
    static let protocolError: UInt32 = 1
    static let invalidStream: UInt32 = 2
    static let refusedStream: UInt32 = 3
    static let cancel: UInt32 = 5
    static let internalError: UInt32 = 6
    static let streamAlreadyClosed: UInt32 = 9
}

/// GOAWAY status codes.
enum SPDYGoAwayStatus {
    static let ok: UInt32 = 0
    static let protocolError: UInt32 = 1
    static let internalError: UInt32 = 2
}

enum SPDYFlags {
    static let fin: UInt8 = 0x01
    static let unidirectional: UInt8 = 0x02
    static let clearSettings: UInt8 = 0x01
}

/// A connection-level failure: the frame stream can't be trusted past this point (a shared
/// compression context makes most header errors unrecoverable), so the connection ends.
enum SPDYProtocolError: Error, CustomStringConvertible, Equatable {
    case frameTooLarge(length: Int, limit: Int)
    case unsupportedVersion(UInt16)
    case malformed(String)

    var description: String {
        switch self {
        case .frameTooLarge(let length, let limit): "SPDY frame of \(length) bytes exceeds the limit of \(limit)"
        case .unsupportedVersion(let version): "SPDY version \(version) is not supported (only 3)"
        case .malformed(let what): "malformed SPDY frame: \(what)"
        }
    }
}
