@testable import CorralImages
import CorralSystem
import Logging
import TestSupport

/// Unpacks a crafted layer into `<sandbox>/layer`, so a test can check nothing landed beside it.
struct ExtractionSandbox {
    let dir: TemporaryDirectory
    var layer: String { dir.path + "/layer" }

    init(_ label: String) throws {
        dir = try TemporaryDirectory(label)
        try FileSystem.makeDirectories(dir.path + "/layer", mode: 0o755)
    }

    @discardableResult
    func unpack(_ bytes: [UInt8]) throws -> ExtractionResult {
        try LayerExtractor.unpack(MemorySource(bytes), into: layer, logger: Logger(label: "test"))
    }

    /// What the sandbox holds besides the layer: must stay empty.
    func outside() throws -> [String] {
        try FileSystem.listDirectory(dir.path).filter { $0 != "layer" }
    }

    func remove() {
        dir.remove()
    }
}
