import CorralRegistry
import CorralSystem
import Metrics

extension ImageStore {
    /// Removes a name or an image. By tag or repo digest, only that name goes, and the image
    /// with it once no tag is left; by id, the image and all its names. Blobs and snapshots
    /// no other image (or container) uses go too.
    public func remove(_ ref: String) throws {
        if let reference = try? ImageReference.parse(ref) {
            for name in [reference.digested, reference.digest == nil ? reference.tagged : nil].compactMap({ $0 }) {
                if try database.imageID(named: name) != nil {
                    if try database.removeName(name) { collectGarbage() }
                    return
                }
            }
        }
        guard let id = resolve(ref) else { throw ImageError.notFound(ref) }
        try database.deleteImage(id: id)
        collectGarbage()
    }

    /// Deletes what no image, container or work under way uses.
    func collectGarbage() {
        do {
            let garbage = try leases.exclusive { isHeld in
                let garbage = try database.collectGarbage(keep: isHeld, blobsOnDisk: content.list().map(\.description))
                for blob in garbage.blobs {
                    if let digest = try? Digest(blob) { content.delete(digest) }
                }
                for snapshot in garbage.snapshots { snapshots.discard(snapshot) }
                return garbage
            }
            Counter(label: "corral_gc_runs_total").increment()
            Counter(label: "corral_gc_removed_total", dimensions: [("kind", "blob")]).increment(by: garbage.blobs.count)
            Counter(label: "corral_gc_removed_total", dimensions: [("kind", "snapshot")]).increment(by: garbage.snapshots.count)
            if !garbage.blobs.isEmpty || !garbage.snapshots.isEmpty {
                logger.debug("garbage collected", metadata: ["blobs": "\(garbage.blobs.count)", "snapshots": "\(garbage.snapshots.count)"])
            }
        } catch {
            logger.warning("image garbage collection failed", metadata: ["error": "\(error)"])
        }
        snapshots.purgeTrash()
    }
}
