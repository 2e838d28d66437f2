import Foundation
import SwiftProtobuf

/// JSON for `--output json` and `inspect`: CRI messages through SwiftProtobuf's JSON mapping,
/// and corrald's verbose `info` maps, whose values are JSON text, as nested objects.
enum JSONOutput {
    static var encodingOptions: JSONEncodingOptions {
        var options = JSONEncodingOptions()
        options.alwaysPrintInt64sAsNumbers = true
        return options
    }

    /// A message as a Foundation JSON value, to nest in a larger document.
    static func value(_ message: some SwiftProtobuf.Message) throws -> Any {
        try JSONSerialization.jsonObject(with: Data(message.jsonString(options: encodingOptions).utf8))
    }

    /// A message as a JSON object, with the zero values scripts look for put back where proto3's
    /// mapping left them out (a ready pod's state, attempt 0, exit code 0): `filling` pairs a key
    /// path with the value to use when that key is absent.
    static func object(_ message: some SwiftProtobuf.Message, filling: [([String], Any)]) throws -> [String: Any] {
        let object = (try value(message) as? [String: Any]) ?? [:]
        return filling.reduce(object) { setting($0, $1.0[...], $1.1) }
    }

    /// `object` with `value` at `path` unless something is there already.
    static func setting(_ object: [String: Any], _ path: ArraySlice<String>, _ value: Any) -> [String: Any] {
        guard let key = path.first else { return object }
        var object = object
        if path.count == 1 {
            if object[key] == nil { object[key] = value }
        } else {
            object[key] = setting(object[key] as? [String: Any] ?? [:], path.dropFirst(), value)
        }
        return object
    }

    /// Each value parsed when it is JSON, kept as a string when it is not.
    static func infoMap(_ info: [String: String]) -> [String: Any] {
        info.mapValues(parseLoosely)
    }

    /// JSON text as a value, and strings inside it that are JSON themselves (corrald nests the
    /// pod's or container's config as a string) opened up too.
    static func parseLoosely(_ text: String) -> Any {
        guard let first = text.first(where: { !$0.isWhitespace }), first == "{" || first == "[",
              let value = try? JSONSerialization.jsonObject(with: Data(text.utf8)) else { return text }
        return opened(value)
    }

    private static func opened(_ value: Any) -> Any {
        switch value {
        case let string as String: parseLoosely(string)
        case let object as [String: Any]: object.mapValues(opened)
        case let array as [Any]: array.map(opened)
        default: value
        }
    }

    /// Indented, keys sorted so two outputs diff cleanly.
    static func text(_ value: Any) throws -> String {
        let data = try JSONSerialization.data(withJSONObject: value,
                                              options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes, .fragmentsAllowed])
        return String(decoding: data, as: UTF8.self)
    }

    static func print(_ message: some SwiftProtobuf.Message) throws {
        Swift.print(try text(value(message)))
    }
}
