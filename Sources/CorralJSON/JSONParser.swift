/// Parsing by RFC 8259, strictly: one value, no trailing commas, comments, NaN or leading zeros,
/// and strings that are valid UTF-8 with every control character escaped.
extension JSONValue {
    /// Documents nested deeper than this are refused, so hostile input cannot exhaust the stack.
    public static let defaultMaximumDepth = 256

    public init(parsing bytes: [UInt8], maximumDepth: Int = JSONValue.defaultMaximumDepth) throws(JSONError) {
        var parser = JSONParser(bytes: bytes, maximumDepth: maximumDepth)
        self = try parser.document()
    }

    public init(parsing text: String, maximumDepth: Int = JSONValue.defaultMaximumDepth) throws(JSONError) {
        try self.init(parsing: Array(text.utf8), maximumDepth: maximumDepth)
    }
}

struct JSONParser {
    let bytes: [UInt8]
    let maximumDepth: Int
    var offset = 0
    var depth = 0

    init(bytes: [UInt8], maximumDepth: Int) {
        self.bytes = bytes
        self.maximumDepth = maximumDepth
    }

    mutating func document() throws(JSONError) -> JSONValue {
        let value = try self.value()
        skipWhitespace()
        guard offset == bytes.count else { throw JSONError(.trailingData, at: offset) }
        return value
    }

    mutating func value() throws(JSONError) -> JSONValue {
        skipWhitespace()
        guard offset < bytes.count else { throw JSONError(.unexpectedEnd, at: offset) }
        switch bytes[offset] {
        case UInt8(ascii: "{"): return try object()
        case UInt8(ascii: "["): return try array()
        case UInt8(ascii: "\""): return .string(try string())
        case UInt8(ascii: "t"): try literal("true"); return .bool(true)
        case UInt8(ascii: "f"): try literal("false"); return .bool(false)
        case UInt8(ascii: "n"): try literal("null"); return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return try number()
        case let byte: throw JSONError(.unexpectedByte(byte), at: offset)
        }
    }

    private mutating func object() throws(JSONError) -> JSONValue {
        try enter()
        var members = JSONObject()
        if try closes(UInt8(ascii: "}")) { return .object(members) }
        repeat {
            skipWhitespace()
            guard offset < bytes.count else { throw JSONError(.unexpectedEnd, at: offset) }
            guard bytes[offset] == UInt8(ascii: "\"") else { throw JSONError(.unexpectedByte(bytes[offset]), at: offset) }
            let key = try string()
            try expect(UInt8(ascii: ":"))
            members[key] = try value()
        } while try separated(closing: UInt8(ascii: "}"))
        return .object(members)
    }

    private mutating func array() throws(JSONError) -> JSONValue {
        try enter()
        var elements: [JSONValue] = []
        if try closes(UInt8(ascii: "]")) { return .array(elements) }
        repeat {
            elements.append(try value())
        } while try separated(closing: UInt8(ascii: "]"))
        return .array(elements)
    }

    /// Consumes the opening bracket, counting one more level of nesting.
    private mutating func enter() throws(JSONError) {
        guard depth < maximumDepth else { throw JSONError(.tooDeep(limit: maximumDepth), at: offset) }
        depth += 1
        offset += 1
    }

    /// True (and one level shallower) when the container closes right away.
    private mutating func closes(_ closing: UInt8) throws(JSONError) -> Bool {
        skipWhitespace()
        guard offset < bytes.count else { throw JSONError(.unexpectedEnd, at: offset) }
        guard bytes[offset] == closing else { return false }
        offset += 1
        depth -= 1
        return true
    }

    /// After a member: true on a comma, false (and one level shallower) on the closing bracket.
    private mutating func separated(closing: UInt8) throws(JSONError) -> Bool {
        skipWhitespace()
        guard offset < bytes.count else { throw JSONError(.unexpectedEnd, at: offset) }
        let byte = bytes[offset]
        offset += 1
        if byte == UInt8(ascii: ",") { return true }
        if byte == closing { depth -= 1; return false }
        throw JSONError(.unexpectedByte(byte), at: offset - 1)
    }

    private mutating func expect(_ expected: UInt8) throws(JSONError) {
        skipWhitespace()
        guard offset < bytes.count else { throw JSONError(.unexpectedEnd, at: offset) }
        guard bytes[offset] == expected else { throw JSONError(.unexpectedByte(bytes[offset]), at: offset) }
        offset += 1
    }

    private mutating func literal(_ word: StaticString) throws(JSONError) {
        let expected = UnsafeBufferPointer(start: word.utf8Start, count: word.utf8CodeUnitCount)
        for byte in expected {
            guard offset < bytes.count else { throw JSONError(.unexpectedEnd, at: offset) }
            guard bytes[offset] == byte else { throw JSONError(.unexpectedByte(bytes[offset]), at: offset) }
            offset += 1
        }
    }

    mutating func skipWhitespace() {
        while offset < bytes.count {
            switch bytes[offset] {
            case 0x20, 0x09, 0x0A, 0x0D: offset += 1
            default: return
            }
        }
    }
}
