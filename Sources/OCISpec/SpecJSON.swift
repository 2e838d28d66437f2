#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

extension Spec {
    /// The bytes of `config.json`. Keys sorted so the same spec always gives the same file.
    public func jsonBytes(pretty: Bool = false) throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = pretty ? [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
                                          : [.sortedKeys, .withoutEscapingSlashes]
        return Array(try encoder.encode(self))
    }

    public init(jsonBytes: [UInt8]) throws {
        self = try JSONDecoder().decode(Spec.self, from: Data(jsonBytes))
    }
}

extension Process {
    /// The bytes of a `runc exec --process` file.
    public func jsonBytes() throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return Array(try encoder.encode(self))
    }
}
