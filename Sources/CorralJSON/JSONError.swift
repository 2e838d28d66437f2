/// Why a document was refused, and the byte offset where the parser stopped.
public struct JSONError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Reason: Sendable, Equatable {
        case unexpectedEnd
        case unexpectedByte(UInt8)
        case invalidNumber
        case invalidEscape
        /// A \u escape naming half of a surrogate pair without its other half.
        case unpairedSurrogate
        case invalidUTF8
        /// A raw control character inside a string; JSON requires it escaped.
        case controlCharacter
        case tooDeep(limit: Int)
        case trailingData
    }

    public var reason: Reason
    public var offset: Int

    public init(_ reason: Reason, at offset: Int) {
        self.reason = reason
        self.offset = offset
    }

    public var description: String {
        let what = switch reason {
        case .unexpectedEnd: "unexpected end of input"
        case .unexpectedByte(let byte):
            (0x20..<0x7f).contains(byte)
                ? "unexpected character '\(Character(Unicode.Scalar(byte)))'"
                : "unexpected byte 0x\(String(byte, radix: 16))"
        case .invalidNumber: "invalid number"
        case .invalidEscape: "invalid escape sequence"
        case .unpairedSurrogate: "unpaired UTF-16 surrogate in \\u escape"
        case .invalidUTF8: "invalid UTF-8"
        case .controlCharacter: "unescaped control character in string"
        case .tooDeep(let limit): "nesting deeper than \(limit) levels"
        case .trailingData: "data after the end of the document"
        }
        return "invalid JSON: \(what) at byte offset \(offset)"
    }
}
