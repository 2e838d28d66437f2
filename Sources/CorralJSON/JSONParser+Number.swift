extension JSONParser {
    /// Checks the grammar by hand (the standard library's conversions accept more than JSON
    /// does, such as "+1", "0x10" and "inf"), then converts: integers that fit stay Int64.
    mutating func number() throws(JSONError) -> JSONValue {
        let start = offset
        var integral = true
        if peek(UInt8(ascii: "-")) { offset += 1 }
        guard offset < bytes.count, isDigit(bytes[offset]) else { throw JSONError(.invalidNumber, at: offset) }
        if bytes[offset] == UInt8(ascii: "0") {
            offset += 1
            if offset < bytes.count, isDigit(bytes[offset]) { throw JSONError(.invalidNumber, at: offset) }
        } else {
            skipDigits()
        }
        if peek(UInt8(ascii: ".")) {
            integral = false
            offset += 1
            try requireDigits()
        }
        if peek(UInt8(ascii: "e")) || peek(UInt8(ascii: "E")) {
            integral = false
            offset += 1
            if peek(UInt8(ascii: "+")) || peek(UInt8(ascii: "-")) { offset += 1 }
            try requireDigits()
        }
        let text = String(decoding: bytes[start..<offset], as: UTF8.self)
        if integral, let value = Int64(text) { return .integer(value) }
        guard let value = Double(text), value.isFinite else { throw JSONError(.invalidNumber, at: start) }
        return .number(value)
    }

    private func peek(_ byte: UInt8) -> Bool {
        offset < bytes.count && bytes[offset] == byte
    }

    private func isDigit(_ byte: UInt8) -> Bool {
        byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")
    }

    private mutating func skipDigits() {
        while offset < bytes.count, isDigit(bytes[offset]) { offset += 1 }
    }

    private mutating func requireDigits() throws(JSONError) {
        guard offset < bytes.count, isDigit(bytes[offset]) else { throw JSONError(.invalidNumber, at: offset) }
        skipDigits()
    }
}
