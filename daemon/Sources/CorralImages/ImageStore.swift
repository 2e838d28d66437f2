import CorralRegistry
import CorralSystem
import Logging
import Metrics
import OCISpec
import Synchronization

/// The daemon's images: a content store of blobs, layers unpacked once each into overlay
/// lower dirs, and the metadata in SQLite. The CRI ImageService is a thin adapter over this,
/// and containers get their root file systems from `prepareRootfs`.
///
/// Reads answer synchronously from the database; unpacking runs on threads of its own.
public final class ImageStore: Sendable {
    public let root: String
    let content: ContentStore
    let snapshots: SnapshotStore
    let database: ImageDatabase
    let leases = Leases()
    let logger: Logger
    /// The current registry settings' client, and those SIGHUP replaced: pulls under way keep
    /// the client they started with, so the old ones are closed only at shutdown.
    private let clients: Mutex<(current: RegistryClient, retired: [RegistryClient])>
    var registry: RegistryClient { clients.withLock { $0.current } }
    /// Blob downloads under way, shared by every pull that needs the same blob.
    let downloads = InFlight<Void>()
    /// The names `[images] pinned` gives, normalised: an image holding one is pinned, whether
    /// it was there when they were configured or came later.
    private let pinnedNames = Mutex<Set<String>>([])

    public init(root: String, registry: RegistryConfiguration, logger: Logger) throws {
        self.root = FileSystem.absolute(root)
        self.logger = logger
        try FileSystem.makeDirectories(self.root, mode: 0o711)
        try FileSystem.makeDirectories(self.root + "/containers", mode: 0o711)
        // Writable layers come and go with pods: spread as the snapshots are.
        FileSystem.spreadSubdirectories(self.root + "/containers")
        content = try ContentStore(root: self.root + "/content")
        database = try ImageDatabase(path: self.root + "/images.db")
        snapshots = try SnapshotStore(root: self.root + "/snapshots", database: database, logger: logger)
        clients = Mutex((RegistryClient(configuration: registry, logger: logger), []))
        content.clearIngest()
        snapshots.sweep()
        collectGarbage()
    }

    /// Closes the registry connections; call once, when the daemon stops.
    public func shutdown() async {
        let all = clients.withLock { [$0.current] + $0.retired }
        for client in all { await client.shutdown() }
    }

    /// New registry settings (mirrors, hosts, limits) for the pulls that start from now on.
    public func reconfigure(registry configuration: RegistryConfiguration) {
        let fresh = RegistryClient(configuration: configuration, logger: logger)
        clients.withLock { $0 = (fresh, $0.retired + [$0.current]) }
    }

    /// The directory of the unpacked layers: the image file system kubelet is told of.
    public var layersDirectory: String { snapshots.root }
    public var registryConfiguration: RegistryConfiguration { registry.configuration }

    public func list() -> [Image] {
        ((try? database.images()) ?? []).compactMap { try? image(from: $0) }
    }

    /// An image by id (full, or a unique prefix of the hex, with or without `sha256:`),
    /// by `name:tag` (normalised: `busybox` finds `docker.io/library/busybox:latest`),
    /// or by `name@digest` (a repo digest).
    public func image(_ ref: String) -> Image? {
        guard let id = resolve(ref) else { return nil }
        return (try? database.image(id: id)).flatMap { $0 }.flatMap { try? image(from: $0) }
    }

    /// The references whose images kubelet must not garbage-collect, now and when they are
    /// pulled or imported later (as containerd pins its sandbox image on pull). Replaces the
    /// previous list; a reference that cannot be parsed pins nothing.
    public func pin(_ references: [String]) {
        let names = references.compactMap { try? ImageReference.parse($0) }.flatMap { [$0.tagged, $0.digested].compactMap { $0 } }
        pinnedNames.withLock { $0 = Set(names) }
    }

    /// Space used by unpacked layers and stored blobs, for the CRI's ImageFsInfo.
    public func fsInfo() -> (mountpoint: String, usedBytes: UInt64, inodesUsed: UInt64) {
        let usage = (try? database.usage()) ?? (bytes: 0, inodes: 0)
        var bytes = UInt64(max(0, usage.bytes))
        var inodes = UInt64(max(0, usage.inodes))
        for digest in content.list() {
            let blob = DiskUsage.of(content.path(of: digest))
            bytes += blob.bytes
            inodes += blob.inodes
        }
        return (layersDirectory, bytes, inodes)
    }

    // MARK: resolving references

    func resolve(_ ref: String) -> String? {
        let trimmed = ref.hasPrefix("sha256:") ? String(ref.dropFirst(7)) : ref
        if Digest.isHex(trimmed) {
            if let record = try? database.image(id: "sha256:" + trimmed) { return record.id }
        }
        if let reference = try? ImageReference.parse(ref) {
            if let digested = reference.digested, let id = try? database.imageID(named: digested) { return id }
            // `name:tag@digest` is the digest's image only; the tag is a hint.
            if reference.digest == nil, let tagged = reference.tagged, let id = try? database.imageID(named: tagged) { return id }
        }
        if !trimmed.isEmpty, trimmed.utf8.count < 64, trimmed.utf8.allSatisfy({ ($0 >= 48 && $0 <= 57) || ($0 >= 97 && $0 <= 102) }),
           let ids = try? database.imageIDs(withPrefix: "sha256:" + trimmed), ids.count == 1 {
            return ids[0]
        }
        return nil
    }

    func image(from record: ImageRecord) throws -> Image {
        let config = try JSONCoding.decode(ImageConfiguration.self, from: record.config, what: "image config \(record.id)")
        return Image(id: record.id, repoTags: record.tags, repoDigests: record.digests, size: UInt64(max(0, record.size)),
                     config: config, chainIDs: record.chainIDs,
                     pinned: record.pinned || pinnedNames.withLock { !$0.isDisjoint(with: record.tags + record.digests) },
                     manifestDigest: record.manifestDigest)
    }
}
