import Foundation

/// A bench's report as the JSON file `compare` reads back: pretty, with sorted keys.
public protocol JSONReport: Codable {}

extension JSONReport {
    public func write(to path: String) throws {
        try encoded().write(to: URL(fileURLWithPath: path))
    }

    public func encoded() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return try encoder.encode(self)
    }

    public static func read(from path: String) throws -> Self {
        try JSONDecoder().decode(Self.self, from: Data(contentsOf: URL(fileURLWithPath: path)))
    }
}
