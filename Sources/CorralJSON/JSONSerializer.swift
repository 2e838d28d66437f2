/// Compact serialization: no whitespace, members in their stored order, non-ASCII text as raw
/// UTF-8, control characters escaped.
extension JSONValue {
    public func serialized() -> String {
        String(decoding: serializedBytes(), as: UTF8.self)
    }

    public func serializedBytes() -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(256)
        write(to: &out)
        return out
    }

    private func write(to out: inout [UInt8]) {
        switch self {
        case .null: out += "null".utf8
        case .bool(let value): out += (value ? "true" : "false").utf8
        case .integer(let value): out += String(value).utf8
        // JSON has no spelling for infinities or NaN; null is what JavaScript writes.
        case .number(let value): out += (value.isFinite ? value.description : "null").utf8
        case .string(let value): JSONValue.writeString(value, to: &out)
        case .array(let elements):
            out.append(UInt8(ascii: "["))
            for (index, element) in elements.enumerated() {
                if index > 0 { out.append(UInt8(ascii: ",")) }
                element.write(to: &out)
            }
            out.append(UInt8(ascii: "]"))
        case .object(let members):
            out.append(UInt8(ascii: "{"))
            for (index, member) in members.enumerated() {
                if index > 0 { out.append(UInt8(ascii: ",")) }
                JSONValue.writeString(member.key, to: &out)
                out.append(UInt8(ascii: ":"))
                member.value.write(to: &out)
            }
            out.append(UInt8(ascii: "}"))
        }
    }

    /// `text` as a JSON string. `escapingHTML` also escapes <, >, & and U+2028/U+2029 as Go's
    /// encoding/json does, for text a Go client (kubectl) reads.
    public static func quote(_ text: String, escapingHTML: Bool = false) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(text.utf8.count + 2)
        writeString(text, escapingHTML: escapingHTML, to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    private static func writeString(_ text: String, escapingHTML: Bool = false, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\"".utf8
            case "\\": out += "\\\\".utf8
            case "\n": out += "\\n".utf8
            case "\r": out += "\\r".utf8
            case "\t": out += "\\t".utf8
            case "\u{08}": out += "\\b".utf8
            case "\u{0C}": out += "\\f".utf8
            case "<", ">", "&", "\u{2028}", "\u{2029}":
                if escapingHTML { writeEscape(scalar.value, to: &out) } else { UTF8.encode(scalar) { out.append($0) } }
            case let control where control.value < 0x20:
                writeEscape(control.value, to: &out)
            default:
                UTF8.encode(scalar) { out.append($0) }
            }
        }
        out.append(UInt8(ascii: "\""))
    }

    /// `\uXXXX` for a scalar of the Basic Multilingual Plane.
    private static func writeEscape(_ value: UInt32, to out: inout [UInt8]) {
        out += "\\u".utf8
        for shift in stride(from: 12, through: 0, by: -4) { out.append(hexDigit(UInt8((value >> UInt32(shift)) & 0xF))) }
    }

    private static func hexDigit(_ nibble: UInt8) -> UInt8 {
        nibble < 10 ? UInt8(ascii: "0") + nibble : UInt8(ascii: "a") + nibble - 10
    }
}
