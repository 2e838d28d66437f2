import Foundation

/// What the registry holds of an image: its manifest's blobs and their sizes, read with skopeo.
enum RegistryManifests {
    struct Blobs {
        var manifestBytes: Int
        /// The config first, then the layers.
        var blobs: [(digest: String, size: Int)]
        var layers: Int
    }

    static func blobs(registry: String, image: ImageRecipe) throws -> Blobs {
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("manifest-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        try Tool.run("/usr/bin/skopeo", ["inspect", "--tls-verify=false", "--raw",
                                         "docker://\(registry)/\(image.repository):\(image.tag)"], stdout: scratch)
        let bytes = try Data(contentsOf: URL(fileURLWithPath: scratch))
        struct Descriptor: Decodable {
            var digest: String
            var size: Int
        }
        struct Manifest: Decodable {
            var config: Descriptor
            var layers: [Descriptor]
        }
        let manifest = try JSONDecoder().decode(Manifest.self, from: bytes)
        return Blobs(manifestBytes: bytes.count,
                     blobs: ([manifest.config] + manifest.layers).map { ($0.digest, $0.size) },
                     layers: manifest.layers.count)
    }
}
