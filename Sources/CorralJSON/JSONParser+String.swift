extension JSONParser {
    /// Reads a string starting at its opening quote. Raw bytes are validated as UTF-8 on the
    /// way, so the error can name the offending offset.
    mutating func string() throws(JSONError) -> String {
        offset += 1
        var decoded: [UInt8] = []
        var runStart = offset
        while true {
            guard offset < bytes.count else { throw JSONError(.unexpectedEnd, at: offset) }
            let byte = bytes[offset]
            switch byte {
            case UInt8(ascii: "\""):
                decoded += bytes[runStart..<offset]
                offset += 1
                return String(decoding: decoded, as: UTF8.self)
            case UInt8(ascii: "\\"):
                decoded += bytes[runStart..<offset]
                try escape(into: &decoded)
                runStart = offset
            case 0..<0x20:
                throw JSONError(.controlCharacter, at: offset)
            case 0x80...:
                try skipUTF8Sequence()
            default:
                offset += 1
            }
        }
    }

    private mutating func escape(into decoded: inout [UInt8]) throws(JSONError) {
        let start = offset
        offset += 1
        guard offset < bytes.count else { throw JSONError(.unexpectedEnd, at: offset) }
        let letter = bytes[offset]
        offset += 1
        switch letter {
        case UInt8(ascii: "\""): decoded.append(UInt8(ascii: "\""))
        case UInt8(ascii: "\\"): decoded.append(UInt8(ascii: "\\"))
        case UInt8(ascii: "/"): decoded.append(UInt8(ascii: "/"))
        case UInt8(ascii: "b"): decoded.append(0x08)
        case UInt8(ascii: "f"): decoded.append(0x0C)
        case UInt8(ascii: "n"): decoded.append(0x0A)
        case UInt8(ascii: "r"): decoded.append(0x0D)
        case UInt8(ascii: "t"): decoded.append(0x09)
        case UInt8(ascii: "u"): decoded += try unicodeEscape(startingAt: start).utf8
        default: throw JSONError(.invalidEscape, at: start)
        }
    }

    /// A \uXXXX escape (its "u" already consumed), joined with the low half that must follow
    /// a high surrogate.
    private mutating func unicodeEscape(startingAt start: Int) throws(JSONError) -> String {
        let unit = try hexQuad()
        switch unit {
        case 0xD800..<0xDC00:
            guard offset + 1 < bytes.count, bytes[offset] == UInt8(ascii: "\\"), bytes[offset + 1] == UInt8(ascii: "u")
            else { throw JSONError(.unpairedSurrogate, at: start) }
            offset += 2
            let low = try hexQuad()
            guard (0xDC00..<0xE000).contains(low) else { throw JSONError(.unpairedSurrogate, at: start) }
            let scalar = 0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00)
            return String(Unicode.Scalar(scalar)!)
        case 0xDC00..<0xE000:
            throw JSONError(.unpairedSurrogate, at: start)
        default:
            return String(Unicode.Scalar(unit)!)
        }
    }

    private mutating func hexQuad() throws(JSONError) -> UInt32 {
        var value: UInt32 = 0
        for _ in 0..<4 {
            guard offset < bytes.count else { throw JSONError(.unexpectedEnd, at: offset) }
            let byte = bytes[offset]
            let digit: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
            default: throw JSONError(.invalidEscape, at: offset)
            }
            value = value << 4 | UInt32(digit)
            offset += 1
        }
        return value
    }

    /// Steps over one multi-byte UTF-8 sequence, refusing overlong forms, surrogates and
    /// anything past U+10FFFF (the rules of RFC 3629's table).
    private mutating func skipUTF8Sequence() throws(JSONError) {
        let lead = bytes[offset]
        let length: Int
        var secondRange: ClosedRange<UInt8> = 0x80...0xBF
        switch lead {
        case 0xC2...0xDF: length = 2
        case 0xE0: length = 3; secondRange = 0xA0...0xBF
        case 0xE1...0xEC, 0xEE...0xEF: length = 3
        case 0xED: length = 3; secondRange = 0x80...0x9F
        case 0xF0: length = 4; secondRange = 0x90...0xBF
        case 0xF1...0xF3: length = 4
        case 0xF4: length = 4; secondRange = 0x80...0x8F
        default: throw JSONError(.invalidUTF8, at: offset)
        }
        for index in 1..<length {
            let position = offset + index
            guard position < bytes.count else { throw JSONError(.invalidUTF8, at: offset) }
            let range = index == 1 ? secondRange : 0x80...0xBF
            guard range.contains(bytes[position]) else { throw JSONError(.invalidUTF8, at: offset) }
        }
        offset += length
    }
}
