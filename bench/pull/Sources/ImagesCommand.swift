import ArgumentParser
import BenchSupport
import Foundation

/// `corral-pull-bench images --registry 127.0.0.1:5000`: builds the cases' images and pushes
/// them with skopeo, unless the registry has them already (their tags carry the recipe version).
struct ImagesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "images",
        abstract: "Build the bench's images and push those the registry lacks.")

    @Option(help: "The registry (host:port, plain HTTP) standing in for docker.io.")
    var registry = "127.0.0.1:5000"

    @Option(help: "Where layouts are built (removed after the push).")
    var scratch = "/var/tmp"

    @Option(help: "Layers built at once.")
    var parallel = 2

    func run() throws {
        // Every case's share of the Debian files is fixed by the case order alone, so that an
        // image built now is the one built on any earlier run.
        let debian = try DebianFiles()
        var slices: [[[DebianFiles.File]]] = []
        let images = PullCase.allCases.flatMap(\.images)
        for image in images {
            slices.append(image.layers.map { debian.take($0.debianBytes) })
        }
        for (image, files) in zip(images, slices) {
            let target = "docker://\(registry)/\(image.repository):\(image.tag)"
            if try Tool.run("/usr/bin/skopeo", ["inspect", "--tls-verify=false", "--raw", target], check: false) {
                continue
            }
            let started = Date()
            let work = scratch + "/corral-pull-bench-" + UUID().uuidString
            try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(atPath: work) }
            let layout = try LayoutWriter(path: work + "/layout")
            let layers = try build(image, files: files, layout: layout, scratch: work)
            try layout.index([try layout.image(layers, refName: image.tag)])
            try Tool.run("/usr/bin/skopeo", ["copy", "--quiet", "--dest-tls-verify=false",
                                             "oci:\(layout.path):\(image.tag)", target])
            let size = layers.reduce(0) { $0 + $1.size }
            let unpacked = layers.reduce(0) { $0 + $1.uncompressedSize }
            BenchProgress.say(String(format: "pushed %@: %d layers, %.1f MB (%.1f MB unpacked) in %.0f s", image.reference,
                                     layers.count, Double(size) / 1e6, Double(unpacked) / 1e6, Date().timeIntervalSince(started)))
        }
    }

    /// The layers of one image, `parallel` at a time.
    private func build(_ image: ImageRecipe, files: [[DebianFiles.File]], layout: LayoutWriter,
                       scratch: String) throws -> [LayerWriter.Written] {
        let results = ResultSlots<LayerWriter.Written>(count: image.layers.count)
        let queue = OperationQueue()
        queue.maxConcurrentOperationCount = max(1, parallel)
        for (index, recipe) in image.layers.enumerated() {
            let debian = files[index]
            queue.addOperation {
                results.set(index, Result { try LayerWriter(layout: layout).write(recipe, debian: debian, scratch: scratch) })
            }
        }
        queue.waitUntilAllOperationsAreFinished()
        return try results.values()
    }
}

/// Results filled in by concurrent work, one slot each.
final class ResultSlots<T: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private var slots: [Result<T, any Error>?]

    init(count: Int) {
        slots = Array(repeating: nil, count: count)
    }

    func set(_ index: Int, _ result: Result<T, any Error>) {
        lock.withLock { slots[index] = result }
    }

    func values() throws -> [T] {
        try lock.withLock { slots }.map { slot in
            guard let slot else { throw BenchFailure("a layer was never built") }
            return try slot.get()
        }
    }
}
