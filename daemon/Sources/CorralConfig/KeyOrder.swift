/// The order in which keys first appear in TOML text. TOMLKit's tables (toml++'s std::map) come back
/// sorted, but the order of `[runtimes.*]` carries meaning (the first is the default), so it is
/// recovered from the text itself: table headers and `key = value` lines, nothing more. Keys this does
/// not see (inside inline tables) are placed after the ones it does, by name.
enum KeyOrder {
    /// The distinct keys directly under `parent`, in order of first appearance.
    static func subkeys(of parent: [String], in text: String) -> [String] {
        var found: [String] = []
        var table: [String] = []
        var openString: Substring? = nil  // the delimiter of a multi-line string we are inside
        for rawLine in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline) {
            var line = rawLine[...]
            if let delimiter = openString {
                guard let range = line.firstRange(of: delimiter) else { continue }
                line = line[range.upperBound...]
                openString = unclosedMultilineString(in: line)
                continue
            }
            line = line.drop { $0 == " " || $0 == "\t" }
            var path: [String]
            if line.hasPrefix("[") {
                let double = line.hasPrefix("[[")
                guard let (parts, rest) = parseKey(line.dropFirst(double ? 2 : 1)),
                      rest.drop(while: { $0 == " " || $0 == "\t" }).hasPrefix(double ? "]]" : "]") else { continue }
                table = parts
                path = parts
            } else {
                guard let (parts, rest) = parseKey(line) else { continue }
                let afterKey = rest.drop { $0 == " " || $0 == "\t" }
                guard afterKey.hasPrefix("=") else { continue }
                path = table + parts
                openString = unclosedMultilineString(in: afterKey.dropFirst())
            }
            if path.count > parent.count, Array(path.prefix(parent.count)) == parent {
                let name = path[parent.count]
                if !found.contains(name) { found.append(name) }
            }
        }
        return found
    }

    /// `"""` or `'''` when the value opens a multi-line string that does not close on this line.
    private static func unclosedMultilineString(in value: Substring) -> Substring? {
        for delimiter in ["\"\"\"", "'''"] {
            let count = value.ranges(of: delimiter).count
            if count % 2 == 1 { return delimiter[...] }
        }
        return nil
    }

    /// A dotted key at the start of `text` (after blanks): its parts and what follows it.
    static func parseKey(_ text: Substring) -> (parts: [String], rest: Substring)? {
        var rest = text
        var parts: [String] = []
        while true {
            rest = rest.drop { $0 == " " || $0 == "\t" }
            guard let first = rest.first else { return nil }
            if first == "\"" || first == "'" {
                rest = rest.dropFirst()
                var part = ""
                var closed = false
                while let character = rest.popFirst() {
                    if character == first { closed = true; break }
                    if character == "\\" && first == "\"", let escaped = rest.popFirst() {
                        switch escaped {
                        case "n": part.append("\n")
                        case "t": part.append("\t")
                        default: part.append(escaped)
                        }
                    } else {
                        part.append(character)
                    }
                }
                guard closed else { return nil }
                parts.append(part)
            } else {
                let bare = rest.prefix { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_" || $0 == "-") }
                guard !bare.isEmpty else { return nil }
                parts.append(String(bare))
                rest = rest.dropFirst(bare.count)
            }
            rest = rest.drop { $0 == " " || $0 == "\t" }
            guard rest.first == "." else { return (parts, rest) }
            rest = rest.dropFirst()
        }
    }
}
