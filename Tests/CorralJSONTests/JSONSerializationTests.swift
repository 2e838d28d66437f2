import CorralJSON
import Testing

@Suite("JSON serialization")
struct JSONSerializationTests {
    @Test func writesCompactlyInStoredOrder() {
        let value: JSONValue = ["name": "net", "cniVersion": "1.0.0", "plugins": [["type": "bridge", "mtu": 1500]],
                                "ok": true, "none": nil, "ratio": 0.25]
        #expect(value.serialized()
            == #"{"name":"net","cniVersion":"1.0.0","plugins":[{"type":"bridge","mtu":1500}],"ok":true,"none":null,"ratio":0.25}"#)
    }

    @Test func escapesWhatJSONRequires() {
        let value = JSONValue.string("q\" b\\ n\n r\r t\t \u{8}\u{c} \u{1} \u{1f} / é 😀")
        #expect(value.serialized() == #""q\" b\\ n\n r\r t\t \b\f \u0001 \u001f / é 😀""#)
    }

    @Test func quotingEscapesHTMLOnlyWhenAskedAsGoDoes() {
        let text = "a<b>&\u{2028}\"\\\u{1}\té\u{7f}"
        #expect(JSONValue.quote(text) == "\"a<b>&\u{2028}\\\"\\\\\\u0001\\té\u{7f}\"")
        #expect(JSONValue.quote(text, escapingHTML: true) == "\"a\\u003cb\\u003e\\u0026\\u2028\\\"\\\\\\u0001\\té\u{7f}\"")
        #expect(JSONValue.quote(text) == JSONValue.string(text).serialized())
    }

    @Test func roundTripsDocuments() throws {
        let texts = [
            #"{"a":[1,2,{"b":null}],"c":"d","e":-1.5,"f":false,"g":{}}"#,
            #"[]"#,
            #"[9223372036854775807,-9223372036854775808,1e-07]"#,
            #"{"ips":[{"address":"10.213.7.2/24","gateway":"10.213.7.1","interface":1}]}"#,
            #""\u0000 control and 😀""#,
        ]
        for text in texts {
            let value = try JSONValue(parsing: text)
            let again = try JSONValue(parsing: value.serializedBytes())
            #expect(again == value)
            #expect(again.serialized() == value.serialized())
        }
    }

    @Test func roundTripsEveryControlCharacterAndAstralText() throws {
        var text = ""
        for code in 0..<0x20 { text.unicodeScalars.append(Unicode.Scalar(UInt8(code))) }
        text += "\u{7f}\u{2028}𝄞"
        let value = JSONValue.string(text)
        #expect(try JSONValue(parsing: value.serialized()) == value)
    }

    @Test func roundTripsDoublesExactly() throws {
        for number in [0.1, 1.0 / 3.0, Double.leastNonzeroMagnitude, 1.7976931348623157e308, -2.5e-8, 123456.789] {
            #expect(try JSONValue(parsing: JSONValue.number(number).serialized()).double == number)
        }
    }

    @Test func writesNullForNonFiniteNumbers() {
        #expect(JSONValue.array([.number(.infinity), .number(.nan)]).serialized() == "[null,null]")
    }

    @Test func editsObjectsInPlace() throws {
        var value = try JSONValue(parsing: #"{"type":"bridge","name":"old","ipam":{"type":"host-local"}}"#)
        value["name"] = "new"
        value["cniVersion"] = "1.0.0"
        value["ipam"]?["dataDir"] = "/tmp/x"
        value["type"] = nil
        #expect(value.serialized() == #"{"name":"new","ipam":{"type":"host-local","dataDir":"/tmp/x"},"cniVersion":"1.0.0"}"#)
    }

    @Test func comparesObjectsWithoutOrderAndNumbersByValue() throws {
        #expect(try JSONValue(parsing: #"{"a":1,"b":[2]}"#) == JSONValue(parsing: #"{"b":[2.0],"a":1}"#))
        #expect(try JSONValue(parsing: #"{"a":1}"#) != JSONValue(parsing: #"{"a":1,"b":2}"#))
        #expect(JSONValue.integer(1) != .number(1.5))
        #expect(JSONValue.string("1") != .integer(1))
    }
}
