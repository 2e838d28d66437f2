import CorralJSON
import Testing

@Suite("JSON errors")
struct JSONErrorTests {
    private func error(_ text: String) -> JSONError? {
        error(Array(text.utf8))
    }

    private func error(_ bytes: [UInt8]) -> JSONError? {
        do {
            _ = try JSONValue(parsing: bytes)
            return nil
        } catch {
            return error
        }
    }

    @Test func namesTheOffset() {
        #expect(error(#"{"a": tru}"#) == JSONError(.unexpectedByte(UInt8(ascii: "}")), at: 9))
        #expect(error(#"[1, 2,]"#) == JSONError(.unexpectedByte(UInt8(ascii: "]")), at: 6))
        #expect(error(#"{"a" 1}"#) == JSONError(.unexpectedByte(UInt8(ascii: "1")), at: 5))
        #expect(error(#"{"a":1,}"#) == JSONError(.unexpectedByte(UInt8(ascii: "}")), at: 7))
        #expect(error(#"{1:2}"#) == JSONError(.unexpectedByte(UInt8(ascii: "1")), at: 1))
        #expect(error("[1 2]") == JSONError(.unexpectedByte(UInt8(ascii: "2")), at: 3))
        #expect(error("0123") == JSONError(.invalidNumber, at: 1))
    }

    @Test func describesTheOffset() {
        #expect(error("[1,x]")?.description == "invalid JSON: unexpected character 'x' at byte offset 3")
    }

    @Test func refusesTruncatedInput() {
        #expect(error("") == JSONError(.unexpectedEnd, at: 0))
        #expect(error("   ") == JSONError(.unexpectedEnd, at: 3))
        #expect(error(#"{"a":"#) == JSONError(.unexpectedEnd, at: 5))
        #expect(error(#"["abc"#) == JSONError(.unexpectedEnd, at: 5))
        #expect(error("[") == JSONError(.unexpectedEnd, at: 1))
        #expect(error("nul") == JSONError(.unexpectedEnd, at: 3))
    }

    @Test func refusesTrailingData() {
        #expect(error("{} {}") == JSONError(.trailingData, at: 3))
        #expect(error("1 2") == JSONError(.trailingData, at: 2))
    }

    @Test func refusesBadEscapes() {
        #expect(error(#""\x""#) == JSONError(.invalidEscape, at: 1))
        #expect(error(#""ab\u12G4""#) == JSONError(.invalidEscape, at: 7))
        #expect(error(#""\ud83d""#) == JSONError(.unpairedSurrogate, at: 1))
        #expect(error(#""\ud83d\u0041""#) == JSONError(.unpairedSurrogate, at: 1))
        #expect(error(#""x\ude00""#) == JSONError(.unpairedSurrogate, at: 2))
    }

    @Test func refusesRawControlCharacters() {
        #expect(error("\"a\nb\"") == JSONError(.controlCharacter, at: 2))
        #expect(error("\"\u{0}\"") == JSONError(.controlCharacter, at: 1))
    }

    @Test func refusesInvalidUTF8() {
        let quote = UInt8(ascii: "\"")
        #expect(error([quote, 0xFF, quote]) == JSONError(.invalidUTF8, at: 1))
        #expect(error([quote, 0x61, 0xC3, quote]) == JSONError(.invalidUTF8, at: 2))
        // An overlong "/" and an encoded surrogate.
        #expect(error([quote, 0xC0, 0xAF, quote]) == JSONError(.invalidUTF8, at: 1))
        #expect(error([quote, 0xED, 0xA0, 0x80, quote]) == JSONError(.invalidUTF8, at: 1))
        #expect(error([quote, 0xF4, 0x90, 0x80, 0x80, quote]) == JSONError(.invalidUTF8, at: 1))
    }

    @Test func refusesCommentsAndBareWords() {
        #expect(error("// c\n1") == JSONError(.unexpectedByte(UInt8(ascii: "/")), at: 0))
        #expect(error("[undefined]") == JSONError(.unexpectedByte(UInt8(ascii: "u")), at: 1))
        #expect(error("True") == JSONError(.unexpectedByte(UInt8(ascii: "T")), at: 0))
    }

    @Test func refusesDeepNesting() throws {
        let limit = JSONValue.defaultMaximumDepth
        let fits = String(repeating: "[", count: limit) + String(repeating: "]", count: limit)
        #expect(try JSONValue(parsing: fits).array?.count == 1)
        let tooDeep = String(repeating: "[", count: limit + 1) + String(repeating: "]", count: limit + 1)
        #expect(error(tooDeep) == JSONError(.tooDeep(limit: limit), at: limit))
        // Far past the limit: refused without recursing to the end.
        #expect(error(String(repeating: "{\"a\":", count: 100_000))?.reason == .tooDeep(limit: limit))
        #expect(error("[[[1]]]".utf8.map { $0 }) == nil)
        #expect(throws: JSONError(.tooDeep(limit: 2), at: 2)) { try JSONValue(parsing: "[[[1]]]", maximumDepth: 2) }
    }
}
