import CorralRegistry
import CorralSystem
import Logging
import Metrics
import OCISpec

extension ImageStore {
    /// Pulls an image from its registry (through the configured mirrors), for this platform.
    /// The image gets the reference's tag (moved from any image that had it) and the repo
    /// digest `name@<manifest or index digest>`. Layers are unpacked as soon as each arrives.
    /// `progress`, when given, follows each layer's bytes as they arrive.
    public func pull(_ reference: String, auth: RegistryCredentials?, progress: PullProgress? = nil) async throws -> Image {
        let started = ContinuousClock.now
        do {
            let image = try await pullOnce(reference, auth: auth, progress: progress, started: started)
            Counter(label: "corral_image_pulls_total", dimensions: [("result", "ok")]).increment()
            Timer(label: "corral_image_pull_duration_seconds").recordNanoseconds((ContinuousClock.now - started).nanoseconds)
            return image
        } catch {
            Counter(label: "corral_image_pulls_total", dimensions: [("result", "error")]).increment()
            throw error
        }
    }

    private func pullOnce(_ reference: String, auth: RegistryCredentials?, progress: PullProgress?,
                          started: ContinuousClock.Instant) async throws -> Image {
        let ref = try ImageReference.parse(reference)
        // One client for the whole pull, even if SIGHUP brings new registry settings meanwhile.
        let registry = self.registry
        let repository = try registry.repository(ref, credentials: auth)
        let session = LeaseSet(leases)
        defer { session.releaseAll() }

        let top = try await repository.manifest(ref.digest ?? ref.tag ?? ImageReference.defaultTag, what: ref.description)
        session.add(top.digest.description)
        try await content.storeOffPool(top.bytes, as: top.digest)
        var manifest = top
        var through: [String] = []
        if MediaType.isIndex(top.mediaType) {
            let index = try JSONCoding.decode(ImageIndex.self, from: top.bytes, what: "index of \(ref)")
            guard let chosen = PlatformMatch.host.select(from: index) else {
                let offered = index.manifests.compactMap { $0.platform.map { p in p.os + "/" + p.architecture + (p.variant.map { "/" + $0 } ?? "") } }
                throw ImageError.notFound("\(ref): no image for \(PlatformMatch.host.description) (the index has \(offered.joined(separator: ", ")))")
            }
            manifest = try await repository.manifest(chosen.digest, what: "\(ref) for \(PlatformMatch.host.description)")
            session.add(manifest.digest.description)
            try await content.storeOffPool(manifest.bytes, as: manifest.digest)
            through = [top.digest.description]
        }
        if MediaType.isSchema1(manifest.mediaType) {
            throw ImageError.unsupported("\(ref) uses Docker image manifest schema 1, which is not supported")
        }
        guard MediaType.isManifest(manifest.mediaType) else {
            throw ImageError.unsupported("\(ref) is a \(manifest.mediaType), not a container image")
        }

        let probe = try JSONCoding.decode(ImageManifest.self, from: manifest.bytes, what: "manifest of \(ref)")
        session.add(probe.config.digest)
        try await download(probe.config, from: repository)
        var pending = try PendingImage(manifestDigest: manifest.digest, manifestBytes: manifest.bytes,
                                       configBytes: try content.read(try Digest(probe.config.digest)), what: ref.description)
        pending.extraBlobs = through
        pending.tags = ref.digest == nil ? [ref.tagged].compactMap { $0 } : []
        pending.digests = [ref.name + "@" + top.digest.description]

        let limiter = AsyncLimiter(limit: registry.configuration.maxConcurrentDownloads)
        let layers = pending.manifest.layers
        progress?.expect(layers)
        let image = try await commit(pending) { [self] index, feed in
            try await limiter.run { try await download(layers[index], from: repository, progress: progress, feed: feed) }
        }
        logger.info("image pulled", metadata: ["reference": "\(ref)", "id": "\(image.id)",
                                               "elapsed": "\(ContinuousClock.now - started)"])
        return image
    }

    /// Brings a blob into the content store unless it is there; one download per blob however
    /// many pulls want it. A download that receives nothing for the progress timeout fails.
    /// `feed`, when given, follows the bytes as they are written, for an unpacking that reads
    /// along; it learns nothing when another pull's download brings the blob.
    func download(_ descriptor: Descriptor, from repository: RegistryRepository, progress: PullProgress? = nil,
                  feed: BlobFeed? = nil) async throws {
        let digest = try Digest(descriptor.digest)
        if content.contains(digest) {
            progress?.update(descriptor.digest, .exists)
            return
        }
        let store = content
        let timeout = repository.client.configuration.progressTimeout
        try await downloads.run(digest.description) {
            if store.contains(digest) { return }
            let watchdog = ProgressWatchdog(timeout: timeout)
            try await watchdog.run("download of \(digest)") {
                let writer = try store.writer()
                defer { writer.abort() }
                feed?.attach(path: writer.temporaryPath)
                let layer = descriptor.digest
                let sink = ObservedSink(writer) { written in
                    progress?.update(layer, received: written, .downloading)
                    feed?.advance(to: written)
                }
                try await repository.fetchBlob(descriptor, into: sink, watchdog: watchdog)
                try await writer.commitOffPool(expected: digest, size: descriptor.size)
            }
            Counter(label: "corral_image_pull_bytes_total").increment(by: Int64(descriptor.size))
        }
        progress?.update(descriptor.digest, .done)
    }
}
