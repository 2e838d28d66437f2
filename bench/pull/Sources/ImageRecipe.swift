/// What one layer of a bench image holds: files of Debian packages (which compress as a real
/// image's binaries and text do) and random files (content that is compressed already), and
/// how the layer is compressed.
struct LayerRecipe: Sendable, Codable, Equatable {
    enum Compression: String, Sendable, Codable { case gzip, zstd }

    var debianBytes: Int
    var randomBytes: Int
    var compression: Compression
    /// Seeds the random files, so that every layer is different and a rebuild is the same.
    var seed: UInt64
}

/// One image of a case, pushed as `docker.io/<repository>:<tag>` (the lab registry mirrors
/// docker.io for both runtimes).
struct ImageRecipe: Sendable, Codable, Equatable {
    var repository: String
    var tag: String
    var layers: [LayerRecipe]

    var reference: String { "docker.io/\(repository):\(tag)" }
}
