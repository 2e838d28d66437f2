import OCISpec

/// An image as the CRI sees it, identified by its config digest.
public struct Image: Sendable, Equatable {
    /// `sha256:<config digest>`: the CRI image id.
    public var id: String
    /// `docker.io/library/busybox:latest`
    public var repoTags: [String]
    /// `docker.io/library/busybox@sha256:<manifest digest>`
    public var repoDigests: [String]
    /// Bytes of content: manifest, config and compressed layers.
    public var size: UInt64
    public var config: ImageConfiguration
    /// One per layer, bottom layer first.
    public var chainIDs: [String]
    public var pinned: Bool
    public var manifestDigest: String

    public init(id: String, repoTags: [String], repoDigests: [String], size: UInt64, config: ImageConfiguration,
                chainIDs: [String], pinned: Bool, manifestDigest: String) {
        self.id = id
        self.repoTags = repoTags
        self.repoDigests = repoDigests
        self.size = size
        self.config = config
        self.chainIDs = chainIDs
        self.pinned = pinned
        self.manifestDigest = manifestDigest
    }
}

/// The mount a container's root file system is: always overlay, even over a single layer,
/// so the container writes to its own upper dir.
public struct RootfsMount: Sendable, Equatable {
    public var type: String
    public var source: String
    public var options: [String]

    public init(type: String, source: String, options: [String]) {
        self.type = type
        self.source = source
        self.options = options
    }
}
