import CorralRegistry
import CorralSystem

extension ImageStore {
    /// The image's unpacked layers in overlay's lowerdir order: top layer first.
    public func lowerDirs(of image: Image) -> [String] {
        image.chainIDs.reversed().compactMap { chainID in
            snapshots.existing(chainID).map { snapshots.filesystem($0) }
        }
    }

    /// A file of the image (e.g. `/etc/passwd`), as the container would see it before it writes anything.
    public func readFile(_ path: String, in image: Image) -> [UInt8]? {
        MergedView(layers: lowerDirs(of: image)).readFile(path)
    }

    /// Makes `<root>/containers/<id>/{upper,work}` and answers the overlay mount of the
    /// container's root file system; the image's layers stay until the rootfs is removed.
    public func prepareRootfs(containerID: String, image: Image) throws -> RootfsMount {
        guard !containerID.isEmpty, !containerID.contains("/"), containerID != ".", containerID != ".." else {
            throw ImageError.invalidArgument("invalid container id \"\(containerID)\"")
        }
        leases.acquire(image.chainIDs)
        defer { leases.release(image.chainIDs) }
        let lowers = lowerDirs(of: image)
        guard lowers.count == image.chainIDs.count, !lowers.isEmpty else {
            throw ImageError.notFound(image.repoTags.first ?? image.id)
        }
        try database.addRootfs(containerID: containerID, chainIDs: image.chainIDs)
        let directory = root + "/containers/" + containerID
        do {
            try FileSystem.makeDirectories(directory + "/upper", mode: 0o755)
            try FileSystem.makeDirectories(directory + "/work", mode: 0o711)
        } catch {
            try? database.removeRootfs(containerID: containerID)
            throw error
        }
        return RootfsMount(type: "overlay", source: "overlay", options: [
            "lowerdir=" + lowers.joined(separator: ":"),
            "upperdir=" + directory + "/upper",
            "workdir=" + directory + "/work",
        ])
    }

    /// The containers that have an upper dir here.
    public func containersWithRootfs() -> [String] {
        (try? FileSystem.listDirectory(root + "/containers")) ?? []
    }

    /// Removes the container's upper and work dirs (unmount first) and lets its layers go
    /// once no image uses them either.
    public func removeRootfs(containerID: String) {
        guard !containerID.isEmpty, !containerID.contains("/"), containerID != ".", containerID != ".." else { return }
        FileSystem.removeTree(root + "/containers/" + containerID)
        do {
            try database.removeRootfs(containerID: containerID)
        } catch {
            logger.warning("rootfs record not removed", metadata: ["container": "\(containerID)", "error": "\(error)"])
        }
        collectGarbage()
    }
}
