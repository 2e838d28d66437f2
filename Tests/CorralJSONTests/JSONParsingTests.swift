import CorralJSON
import Testing

@Suite("JSON parsing")
struct JSONParsingTests {
    @Test func parsesEveryKindOfValue() throws {
        let value = try JSONValue(parsing: #" { "a" : [1, -2.5, true, false, null, "x"], "b": {} , "c": [] } "#)
        #expect(value["a"]?[0] == .integer(1))
        #expect(value["a"]?[1] == .number(-2.5))
        #expect(value["a"]?[2]?.bool == true)
        #expect(value["a"]?[3]?.bool == false)
        #expect(value["a"]?[4]?.isNull == true)
        #expect(value["a"]?[5]?.string == "x")
        #expect(value["a"]?[6] == nil)
        #expect(value["b"]?.object?.isEmpty == true)
        #expect(value["c"]?.array?.isEmpty == true)
        #expect(value["missing"] == nil)
        #expect(value[0] == nil)
    }

    @Test func keepsKeyOrderAndLetsLaterDuplicatesWin() throws {
        let value = try JSONValue(parsing: #"{"z":1,"a":2,"m":3,"a":4}"#)
        #expect(value.object?.keys == ["z", "a", "m"])
        #expect(value["a"]?.int == 4)
    }

    @Test func scalarsAtTopLevel() throws {
        #expect(try JSONValue(parsing: "42") == .integer(42))
        #expect(try JSONValue(parsing: "\"s\"") == .string("s"))
        #expect(try JSONValue(parsing: " null ") == .null)
    }

    @Test func integersStayExact() throws {
        #expect(try JSONValue(parsing: "9223372036854775807").int64 == Int64.max)
        #expect(try JSONValue(parsing: "-9223372036854775808").int64 == Int64.min)
        #expect(try JSONValue(parsing: "9007199254740993").int64 == 9_007_199_254_740_993)
        #expect(try JSONValue(parsing: "-0") == .integer(0))
    }

    @Test func otherNumbersBecomeDoubles() throws {
        #expect(try JSONValue(parsing: "9223372036854775808") == .number(9_223_372_036_854_775_808))
        #expect(try JSONValue(parsing: "1.5e3") == .number(1500))
        #expect(try JSONValue(parsing: "1E-2").double == 0.01)
        #expect(try JSONValue(parsing: "2.0").int == 2)
        #expect(try JSONValue(parsing: "2.5").int == nil)
        #expect(try JSONValue(parsing: "0.5").double == 0.5)
    }

    @Test(arguments: ["01", "-", "1.", ".5", "1e", "1e+", "+1", "0x10", "-01", "1.e3", "Infinity", "NaN", "1e400"])
    func malformedNumbersAreRefused(text: String) {
        #expect(throws: JSONError.self) { try JSONValue(parsing: text) }
    }

    @Test func decodesEveryEscape() throws {
        let value = try JSONValue(parsing: #""\"\\\/\b\f\n\r\t\u0041\u00e9\u20ac""#)
        #expect(value.string == "\"\\/\u{8}\u{c}\n\r\tAé€")
    }

    @Test func joinsSurrogatePairs() throws {
        #expect(try JSONValue(parsing: #""\ud83d\ude00""#).string == "😀")
        #expect(try JSONValue(parsing: #""a\uD834\uDD1Eb""#).string == "a𝄞b")
    }

    @Test func readsRawUTF8() throws {
        let value = try JSONValue(parsing: "\"h\u{e9}llo \u{4e16}\u{754c} \u{1f600}\"")
        #expect(value.string == "héllo 世界 😀")
    }
}
