import CorralRegistry
import CorralSystem
import OCISpec

/// An image whose manifest and config are in hand, on its way into the store.
struct PendingImage: Sendable {
    var manifestDigest: Digest
    var manifest: ImageManifest
    var manifestSize: Int64
    var configBytes: [UInt8]
    var config: ImageConfiguration
    /// Blobs the image keeps besides its manifest, config and layers (an index it came through).
    var extraBlobs: [String] = []
    var tags: [String] = []
    var digests: [String] = []

    var id: String { manifest.config.digest }

    var chainIDs: [String] { ChainID.compute(config.rootfs.diffIDs) }

    var blobs: [String] {
        [manifestDigest.description, manifest.config.digest] + manifest.layers.map(\.digest) + extraBlobs
    }

    var size: Int64 {
        manifestSize + manifest.config.size + manifest.layers.reduce(0) { $0 + $1.size }
    }

    /// Checks the manifest and config belong together and are ones this runtime can run.
    init(manifestDigest: Digest, manifestBytes: [UInt8], configBytes: [UInt8], what: String) throws(ImageError) {
        let manifest = try JSONCoding.decode(ImageManifest.self, from: manifestBytes, what: "manifest of \(what)")
        let configDigest = Digest.of(configBytes)
        guard configDigest.description == manifest.config.digest else {
            throw .digestMismatch(expected: manifest.config.digest, actual: configDigest.description)
        }
        let config = try JSONCoding.decode(ImageConfiguration.self, from: configBytes, what: "config of \(what)")
        guard config.rootfs.diffIDs.count == manifest.layers.count else {
            throw .invalidImage("\(what): the config lists \(config.rootfs.diffIDs.count) layers, the manifest \(manifest.layers.count)")
        }
        for diffID in config.rootfs.diffIDs { _ = try Digest(diffID) }
        for layer in manifest.layers {
            _ = try Digest(layer.digest)
            guard Self.isLayer(layer.mediaType) else {
                throw .unsupported("\(what): layer media type \"\(layer.mediaType)\" is not supported")
            }
        }
        if config.os != "linux" {
            throw .unsupported("\(what) is an image for \(config.os), not linux")
        }
        self.manifestDigest = manifestDigest
        self.manifest = manifest
        self.manifestSize = Int64(manifestBytes.count)
        self.configBytes = configBytes
        self.config = config
    }

    static func isLayer(_ mediaType: String) -> Bool {
        [MediaType.ociLayer, MediaType.ociLayerGzip, MediaType.ociLayerZstd, MediaType.ociLayerNondistributableGzip,
         MediaType.dockerLayerGzip, MediaType.dockerForeignLayerGzip,
         "application/vnd.oci.image.layer.nondistributable.v1.tar",
         "application/vnd.oci.image.layer.nondistributable.v1.tar+zstd"].contains(mediaType)
    }
}

extension ImageStore {
    /// Unpacks the image's layers as their blobs arrive and records the image. `blob(i, feed)`
    /// answers once layer i is in the content store; a download that reports its bytes to
    /// `feed` as it writes them has its layer unpacked along behind it, verified before the end.
    /// The layers' blobs and chain IDs are leased for the whole time, so garbage collection
    /// cannot take them away in between.
    func commit(_ pending: PendingImage, blob: @escaping @Sendable (Int, BlobFeed) async throws -> Void) async throws -> Image {
        let chainIDs = pending.chainIDs
        let diffIDs = pending.config.rootfs.diffIDs
        leases.acquire(pending.blobs + chainIDs)
        defer { leases.release(pending.blobs + chainIDs) }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for (index, layer) in pending.manifest.layers.enumerated() {
                group.addTask { [self] in
                    let feed = BlobFeed()
                    if snapshots.existing(chainIDs[index]) != nil {
                        // Already unpacked: the blob is still kept, for export and as the image's content.
                        try await blob(index, feed)
                        return
                    }
                    async let fetched: Void = {
                        do {
                            try await blob(index, feed)
                            feed.finish()
                        } catch {
                            feed.fail("\(error)")
                            throw error
                        }
                    }()
                    await feed.started.wait()
                    let digest = try Digest(layer.digest)
                    do {
                        _ = try await snapshots.ensure(chainID: chainIDs[index], diffID: diffIDs[index],
                                                       blob: content.path(of: digest), feed: feed)
                        try await fetched
                    } catch {
                        // The download's own failure says more (registry, blob) than the
                        // unpacking that followed it.
                        if case .failed = feed.current.outcome { try await fetched }
                        throw Self.unpackFailure(error, layer: layer.digest)
                    }
                }
            }
            try await group.waitForAll()
        }
        try content.store(pending.configBytes, as: try Digest(pending.manifest.config.digest))
        let record = ImageRecord(id: pending.id, manifestDigest: pending.manifestDigest.description, size: pending.size,
                                 config: pending.configBytes, chainIDs: chainIDs, pinned: false,
                                 tags: pending.tags, digests: pending.digests)
        try database.commit(record, blobs: pending.blobs)
        guard let stored = try database.image(id: pending.id) else { throw ImageError.notFound(pending.id) }
        logger.info("image stored", metadata: ["id": "\(pending.id)", "names": "\(pending.tags + pending.digests)"])
        return try image(from: stored)
    }

    /// A system call's words alone do not say which layer met them.
    static func unpackFailure(_ error: any Error, layer: String) -> any Error {
        switch error {
        case ImageError.system(let error): ImageError.unpack(layer: layer, reason: error.description)
        case let error as ImageError: error
        default: ImageError.unpack(layer: layer, reason: "\(error)")
        }
    }
}
