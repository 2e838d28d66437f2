/// A dotted key path as TOML writes it: bare parts as they are, others quoted, array elements indexed.
struct ConfigKey: Sendable, Equatable, CustomStringConvertible {
    enum Part: Sendable, Equatable {
        case key(String)
        case index(Int)
    }

    var parts: [Part] = []

    static let root = ConfigKey()

    func appending(_ key: String) -> ConfigKey { ConfigKey(parts: parts + [.key(key)]) }
    func appending(index: Int) -> ConfigKey { ConfigKey(parts: parts + [.index(index)]) }

    var description: String {
        var text = ""
        for part in parts {
            switch part {
            case .key(let key):
                if !text.isEmpty { text += "." }
                text += Self.isBare(key) ? key : quoted(key)
            case .index(let index):
                text += "[\(index)]"
            }
        }
        return text
    }

    static func isBare(_ key: String) -> Bool {
        !key.isEmpty && key.unicodeScalars.allSatisfy {
            ("a"..."z").contains($0) || ("A"..."Z").contains($0) || ("0"..."9").contains($0) || $0 == "_" || $0 == "-"
        }
    }
}

/// A string as a TOML basic string, for keys and for values quoted in messages.
func quoted(_ text: String) -> String {
    var result = "\""
    for scalar in text.unicodeScalars {
        switch scalar {
        case "\"": result += "\\\""
        case "\\": result += "\\\\"
        case "\n": result += "\\n"
        case "\t": result += "\\t"
        case "\r": result += "\\r"
        default:
            if scalar.value < 0x20 || scalar.value == 0x7f {
                let hex = String(scalar.value, radix: 16)
                result += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            } else {
                result.unicodeScalars.append(scalar)
            }
        }
    }
    return result + "\""
}
