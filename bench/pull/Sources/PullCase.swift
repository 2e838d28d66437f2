/// The four cases of issue 19, with the images each pulls.
enum PullCase: String, Sendable, Codable, CaseIterable {
    /// About 100 MB in 5 gzip layers, pulled alone.
    case a
    /// About 1 GB in 20 layers, gzip and zstd by turns, pulled alone.
    case b
    /// 10 different small images pulled at once over one connection.
    case c
    /// One image asked for by 10 clients at once, each on a connection of its own.
    case d

    /// Bumped whenever a recipe changes, so the registry is filled again under new tags.
    static let recipeVersion = "v2"

    private static let mib = 1 << 20

    var title: String {
        switch self {
        case .a: "(a) ~100 MB, 5 gzip layers"
        case .b: "(b) ~1 GB, 20 layers gzip+zstd"
        case .c: "(c) 10 small images at once"
        case .d: "(d) 1 image, 10 clients at once"
        }
    }

    /// Concurrent PullImage calls of one run, and whether each has a connection of its own.
    var clients: Int { self == .a || self == .b ? 1 : 10 }
    var connectionPerClient: Bool { self == .d }

    var images: [ImageRecipe] {
        switch self {
        case .a:
            [Self.image("a", layers: 5, debian: 24 * Self.mib, random: 12 * Self.mib, seed: 0xA0) { _ in .gzip }]
        case .b:
            [Self.image("b", layers: 20, debian: 40 * Self.mib, random: 30 * Self.mib, seed: 0xB0) { $0 % 2 == 0 ? .gzip : .zstd }]
        case .c:
            (0..<10).map { i in
                Self.image("c\(i)", layers: 3, debian: 2 * Self.mib, random: Self.mib, seed: 0xC00 + UInt64(i) * 16) { _ in .gzip }
            }
        case .d:
            [Self.image("d", layers: 5, debian: 10 * Self.mib, random: 5 * Self.mib, seed: 0xD0) { $0 % 2 == 0 ? .gzip : .zstd }]
        }
    }

    /// The references a run asks for, one per client.
    var requests: [String] {
        let refs = images.map(\.reference)
        return (0..<clients).map { refs[$0 % refs.count] }
    }

    private static func image(_ name: String, layers: Int, debian: Int, random: Int, seed: UInt64,
                              compression: (Int) -> LayerRecipe.Compression) -> ImageRecipe {
        ImageRecipe(repository: "corralbench/pull-" + name, tag: recipeVersion, layers: (0..<layers).map {
            LayerRecipe(debianBytes: debian, randomBytes: random, compression: compression($0), seed: seed + UInt64($0))
        })
    }
}
