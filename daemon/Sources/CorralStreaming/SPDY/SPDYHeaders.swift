/// A SPDY name/value header block. Names travel in lower case; one name may carry several
/// values, joined on the wire by NUL bytes.
struct SPDYHeaders: Sendable, Equatable {
    struct Entry: Sendable, Equatable {
        var name: String
        var values: [String]
    }

    private(set) var entries: [Entry] = []

    init(_ pairs: [(String, String)] = []) {
        for (name, value) in pairs { add(name: name, value: value) }
    }

    mutating func add(name: String, value: String) {
        let name = name.lowercased()
        if let i = entries.firstIndex(where: { $0.name == name }) {
            entries[i].values.append(value)
        } else {
            entries.append(Entry(name: name, values: [value]))
        }
    }

    /// The first value of `name`, compared without case: Go clients write canonical names
    /// ("Streamtype") that spdystream lowers, while other clients may not.
    subscript(name: String) -> String? {
        let name = name.lowercased()
        return entries.first { $0.name.lowercased() == name }?.values.first
    }

    /// The uncompressed block: a 32-bit count, then each name and value with 32-bit lengths.
    func encoded() -> [UInt8] {
        var out: [UInt8] = []
        Self.appendLength(entries.count, to: &out)
        for entry in entries {
            let name = Array(entry.name.utf8)
            Self.appendLength(name.count, to: &out)
            out += name
            var value: [UInt8] = []
            for (i, v) in entry.values.enumerated() {
                if i > 0 { value.append(0) }
                value += Array(v.utf8)
            }
            Self.appendLength(value.count, to: &out)
            out += value
        }
        return out
    }

    static func decode(_ bytes: [UInt8]) throws(SPDYProtocolError) -> SPDYHeaders {
        var reader = BlockReader(bytes: bytes)
        let count = try reader.length()
        // Each entry takes at least 8 bytes, which bounds a lying count before any allocation.
        guard count <= bytes.count / 8 else { throw .malformed("header block claims \(count) entries") }
        var headers = SPDYHeaders()
        for _ in 0..<count {
            let name = try reader.string(try reader.length())
            guard !name.isEmpty else { throw .malformed("empty header name") }
            let value = try reader.take(try reader.length())
            let values = value.split(separator: 0, omittingEmptySubsequences: false).map { String(decoding: $0, as: UTF8.self) }
            for v in values { headers.add(name: name, value: v) }
        }
        guard reader.atEnd else { throw .malformed("trailing bytes after the header block") }
        return headers
    }

    private static func appendLength(_ n: Int, to out: inout [UInt8]) {
        let v = UInt32(n)
        out += [UInt8(v >> 24), UInt8(v >> 16 & 0xff), UInt8(v >> 8 & 0xff), UInt8(v & 0xff)]
    }

    private struct BlockReader {
        let bytes: [UInt8]
        var offset = 0

        var atEnd: Bool { offset == bytes.count }

        mutating func length() throws(SPDYProtocolError) -> Int {
            guard offset + 4 <= bytes.count else { throw .malformed("header block cut short") }
            let v = bytes[offset..<offset + 4].reduce(0) { $0 << 8 | Int($1) }
            offset += 4
            return v
        }

        mutating func take(_ n: Int) throws(SPDYProtocolError) -> ArraySlice<UInt8> {
            guard n <= bytes.count - offset else { throw .malformed("header block cut short") }
            defer { offset += n }
            return bytes[offset..<offset + n]
        }

        mutating func string(_ n: Int) throws(SPDYProtocolError) -> String {
            String(decoding: try take(n), as: UTF8.self)
        }
    }
}
