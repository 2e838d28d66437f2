import CorralRegistry
import CorralSystem
import OCISpec

extension ImageStore {
    /// Imports every image of an OCI image layout, a directory or a tar archive of one (as
    /// `docker save` and `skopeo copy … oci-archive:` write them; gzip or zstd compressed too).
    /// Each is named from its `org.opencontainers.image.ref.name` annotation; an annotation
    /// that is just a tag is a tag of `defaultName`. An index is imported for this platform.
    public func importLayout(path: String, defaultName: String?) async throws -> [Image] {
        if let defaultName { _ = try ImageReference.parse(defaultName) }
        let status: FileStatus
        do { status = try FileSystem.status(path) } catch { throw ImageError.system(error) }
        let session = LeaseSet(leases)
        defer { session.releaseAll() }
        let index: ImageIndex
        let source: LayoutSource
        if status.kind == .directory {
            source = .directory(path)
            let bytes: [UInt8]
            do { bytes = try FileSystem.readFile(path + "/index.json", limit: 16 << 20) } catch {
                throw ImageError.invalidImage("\(path) is not an OCI image layout: no index.json")
            }
            index = try JSONCoding.decode(ImageIndex.self, from: bytes, what: "\(path)/index.json")
        } else {
            source = .contentStore
            let store = content, leases = session
            let read = await BlockingWork.run { () -> Result<[UInt8], ImageError> in
                Result { () throws(ImageError) in try LayoutArchive.load(path, into: store, leasing: leases) }
            }
            index = try JSONCoding.decode(ImageIndex.self, from: try read.get(), what: "\(path): index.json")
        }
        guard !index.manifests.isEmpty else { throw ImageError.invalidImage("\(path): index.json lists no images") }
        var images: [Image] = []
        for descriptor in index.manifests {
            let (tags, digests) = try LayoutNames.names(for: descriptor, defaultName: defaultName)
            if tags.isEmpty && digests.isEmpty {
                logger.warning("imported image has no name; give a default name to tag it", metadata: ["digest": "\(descriptor.digest)"])
            }
            images.append(try await importImage(descriptor, from: source, session: session, tags: tags, digests: digests, what: path))
        }
        return images
    }

    private func importImage(_ descriptor: Descriptor, from source: LayoutSource, session: LeaseSet,
                             tags: [String], digests: [String], what: String, via index: [String] = []) async throws -> Image {
        let digest = try Digest(descriptor.digest)
        try await ensure(digest, size: descriptor.size, from: source, session: session)
        let bytes = try content.read(digest, limit: 16 << 20)
        let mediaType = JSONCoding.mediaType(of: bytes) ?? descriptor.mediaType
        if MediaType.isIndex(mediaType) || MediaType.isIndex(descriptor.mediaType) {
            let nested = try JSONCoding.decode(ImageIndex.self, from: bytes, what: "index \(digest)")
            guard let chosen = PlatformMatch.host.select(from: nested) else {
                throw ImageError.notFound("\(what): no image for \(PlatformMatch.host.description) in index \(digest)")
            }
            return try await importImage(chosen, from: source, session: session, tags: tags, digests: digests,
                                         what: what, via: index + [digest.description])
        }
        if MediaType.isSchema1(mediaType) {
            throw ImageError.unsupported("\(what) uses Docker image manifest schema 1, which is not supported")
        }
        guard MediaType.isManifest(mediaType) else {
            throw ImageError.unsupported("\(what): \(digest) is a \(mediaType), not an image")
        }
        let probe = try JSONCoding.decode(ImageManifest.self, from: bytes, what: "manifest \(digest)")
        let configDigest = try Digest(probe.config.digest)
        try await ensure(configDigest, size: probe.config.size, from: source, session: session)
        var pending = try PendingImage(manifestDigest: digest, manifestBytes: bytes,
                                       configBytes: try content.read(configDigest), what: "\(what) (\(digest))")
        pending.tags = tags
        pending.digests = digests
        pending.extraBlobs = index
        let layers = pending.manifest.layers
        return try await commit(pending) { [self] index, _ in
            let layer = layers[index]
            try await ensure(try Digest(layer.digest), size: layer.size, from: source, session: session)
        }
    }

    /// Brings a layout's blob into the content store, verified, unless it is there.
    private func ensure(_ digest: Digest, size: Int64, from source: LayoutSource, session: LeaseSet) async throws {
        session.add(digest.description)
        if content.contains(digest) { return }
        switch source {
        case .contentStore:
            throw ImageError.invalidImage("blob \(digest) is missing from the archive")
        case .directory(let layout):
            let file = layout + "/blobs/sha256/" + digest.hex
            guard FileSystem.exists(file) else { throw ImageError.invalidImage("blob \(digest) is missing from \(layout)") }
            let store = content
            let result = await BlockingWork.run { () -> Result<Void, ImageError> in
                Result { () throws(ImageError) in try store.copy(file: file, as: digest, size: size) }
            }
            try result.get()
        }
    }
}

/// Where an import finds blobs: a layout directory, or already in the content store (an
/// archive is read in one pass, its blobs stored as they come).
enum LayoutSource: Sendable {
    case directory(String)
    case contentStore
}
