#if canImport(Glibc)
import Glibc
#endif
import CorralRegistry
import CorralSystem
import CorralTar
import OCISpec

extension ImageStore {
    /// Writes the images `references` name as one OCI image layout in a tar archive at `path`,
    /// which must not exist: each image's manifest, config and layers once, and an index entry
    /// per name (containerd's `io.containerd.image.name` and the OCI ref name annotation), so
    /// `importLayout` — here or in containerd — gives the images back with their names.
    /// A failure leaves no file behind. Returns the archive's size in bytes.
    public func export(_ references: [String], to path: String) async throws -> UInt64 {
        guard !references.isEmpty else { throw ImageError.invalidArgument("references: no image to export") }
        var images: [Image] = []
        for reference in references {
            guard let found = image(reference) else { throw ImageError.notFound(reference) }
            if !images.contains(where: { $0.id == found.id }) { images.append(found) }
        }
        let session = LeaseSet(leases)
        defer { session.releaseAll() }
        var entries: [Descriptor] = []
        var blobs: [(digest: Digest, size: Int)] = []
        func keep(_ digest: Digest) {
            guard !blobs.contains(where: { $0.digest == digest }), let size = content.size(of: digest) else { return }
            session.add(digest.description)
            blobs.append((digest, Int(size)))
        }
        for image in images {
            let manifestDigest = try Digest(image.manifestDigest)
            session.add(manifestDigest.description)
            let bytes = try content.read(manifestDigest)
            let manifest = try JSONCoding.decode(ImageManifest.self, from: bytes, what: "manifest of \(image.id)")
            for digest in [manifestDigest, try Digest(manifest.config.digest)] + (try manifest.layers.map { try Digest($0.digest) }) {
                guard content.contains(digest) else {
                    throw ImageError.invalidImage("\(image.repoTags.first ?? image.id): blob \(digest) is missing from the store")
                }
                keep(digest)
            }
            let names = image.repoTags.isEmpty ? image.repoDigests.prefix(1).map { $0 } : image.repoTags
            let mediaType = manifest.mediaType ?? MediaType.ociManifest
            for name in names.isEmpty ? [""] : names {
                var annotations: [String: String] = [:]
                if !name.isEmpty {
                    annotations[LayoutNames.containerdName] = name
                    if let reference = try? ImageReference.parse(name), let tag = reference.tag, reference.digest == nil {
                        annotations[ImageAnnotation.refName] = tag
                    }
                }
                entries.append(Descriptor(mediaType: mediaType, digest: manifestDigest.description, size: Int64(bytes.count),
                                          annotations: annotations.isEmpty ? nil : annotations))
            }
        }
        let index = ImageIndex(manifests: entries)
        let (store, members) = (content, blobs)
        let written = await BlockingWork.run { () -> Result<UInt64, SystemError> in
            Result { () throws(SystemError) in
                try Self.writeLayout(to: path, index: JSONCoding.encode(index), blobs: members) { store.path(of: $0) }
            }
        }
        do { return try written.get() } catch { throw ImageError.system(error) }
    }

    /// The archive goes to a temporary name beside `path` and is renamed into place once whole.
    private static func writeLayout(to path: String, index: [UInt8], blobs: [(digest: Digest, size: Int)],
                                    blobPath: (Digest) -> String) throws(SystemError) -> UInt64 {
        guard !FileSystem.exists(path) else { throw SystemError("create", path, errno: EEXIST) }
        let temporary = path + ".corral-export-\(ProcessControl.pid)"
        let output = try FileDescriptor.open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode: 0o600)
        do {
            let tar = TarWriter(output)
            try tar.file("oci-layout", bytes: Array(#"{"imageLayoutVersion":"1.0.0"}"#.utf8))
            try tar.directory("blobs")
            try tar.directory("blobs/sha256")
            for blob in blobs {
                try tar.file("blobs/sha256/" + blob.digest.hex, copying: blobPath(blob.digest), size: blob.size)
            }
            try tar.file("index.json", bytes: index)
            try tar.finish()
            try output.sync()
            output.close()
        } catch {
            output.close()
            FileSystem.remove(temporary)
            throw error
        }
        let size: Int64
        do {
            size = try FileSystem.status(temporary).size
            try FileSystem.rename(temporary, to: path)
        } catch {
            FileSystem.remove(temporary)
            throw SystemError("rename", temporary, errno: error.errno)
        }
        return UInt64(size)
    }
}
