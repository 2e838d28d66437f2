/// Just enough JSON for small state files the shim writes and reads without Foundation:
/// flat objects of strings and integers.
public enum JSONText {
    /// `text` as a JSON string. `escapingHTML` also escapes <, >, & and U+2028/U+2029, as Go's
    /// encoding/json does: for text a Go client compares byte for byte.
    public static func quote(_ text: String, escapingHTML: Bool = false) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "<", ">", "&", "\u{2028}", "\u{2029}":
                if escapingHTML { out += hexEscape(scalar.value) } else { out.unicodeScalars.append(scalar) }
            case let c where c.value < 0x20: out += hexEscape(c.value)
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }

    private static func hexEscape(_ value: UInt32) -> String {
        let hex = String(value, radix: 16)
        return "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
    }

    public enum Value: Sendable, Equatable {
        case string(String)
        case integer(Int64)
    }

    /// An object's members, in order.
    public static func object(_ members: [(String, Value)]) -> String {
        let body = members.map { key, value -> String in
            switch value {
            case .string(let s): "  \(quote(key)): \(quote(s))"
            case .integer(let i): "  \(quote(key)): \(i)"
            }
        }
        return "{\n" + body.joined(separator: ",\n") + "\n}\n"
    }

    /// Parses a flat object of strings and integers; nil for anything else.
    public static func parseObject(_ text: String) -> [String: Value]? {
        var scanner = Scanner(Array(text.unicodeScalars))
        return scanner.object()
    }

    private struct Scanner {
        let chars: [Unicode.Scalar]
        var i = 0
        init(_ chars: [Unicode.Scalar]) { self.chars = chars }

        mutating func skipSpace() {
            while i < chars.count, chars[i] == " " || chars[i] == "\n" || chars[i] == "\t" || chars[i] == "\r" { i += 1 }
        }

        mutating func expect(_ c: Unicode.Scalar) -> Bool {
            skipSpace()
            guard i < chars.count, chars[i] == c else { return false }
            i += 1
            return true
        }

        mutating func object() -> [String: Value]? {
            guard expect("{") else { return nil }
            var result: [String: Value] = [:]
            if expect("}") { return result }
            repeat {
                guard let key = string(), expect(":"), let value = value() else { return nil }
                result[key] = value
            } while expect(",")
            return expect("}") ? result : nil
        }

        mutating func value() -> Value? {
            skipSpace()
            guard i < chars.count else { return nil }
            if chars[i] == "\"" { return string().map(Value.string) }
            var digits = ""
            while i < chars.count, chars[i] == "-" || ("0"..."9").contains(chars[i]) {
                digits.unicodeScalars.append(chars[i])
                i += 1
            }
            return Int64(digits).map(Value.integer)
        }

        mutating func string() -> String? {
            guard expect("\"") else { return nil }
            var out = ""
            while i < chars.count {
                let c = chars[i]
                i += 1
                if c == "\"" { return out }
                if c == "\\" {
                    guard i < chars.count else { return nil }
                    let e = chars[i]
                    i += 1
                    switch e {
                    case "n": out += "\n"
                    case "r": out += "\r"
                    case "t": out += "\t"
                    case "u":
                        guard i + 4 <= chars.count,
                              let v = UInt32(String(String.UnicodeScalarView(chars[i..<i + 4])), radix: 16),
                              let s = Unicode.Scalar(v) else { return nil }
                        out.unicodeScalars.append(s)
                        i += 4
                    default: out.unicodeScalars.append(e)
                    }
                } else {
                    out.unicodeScalars.append(c)
                }
            }
            return nil
        }
    }
}
