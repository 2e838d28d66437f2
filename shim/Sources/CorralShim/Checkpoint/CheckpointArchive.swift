#if canImport(Glibc)
import Glibc
#endif
import CorralSystem
import CorralTar

/// The checkpoint archive kubelet asks for: an uncompressed tar laid out as CRI-O and
/// containerd write it, so that checkpointctl and their restore read it. Mode 0600: it holds
/// every memory page of the container's processes.
struct CheckpointArchive {
    /// Files on disk, by their name in the archive; missing optional ones are left out.
    var files: [(name: String, path: String, optional: Bool)] = []
    /// Files made in memory, by their name in the archive.
    var contents: [(name: String, bytes: [UInt8])] = []
    /// CRIU's image directory, archived as `checkpoint/`.
    var images = ""

    /// Writes the archive, whole and on disk, under a temporary name beside `location`, and
    /// answers that name for `commit`; on failure nothing is left there.
    func writeTemporary(beside location: String) throws(SystemError) -> String {
        let name = String(location.split(separator: "/").last ?? "checkpoint.tar")
        let temporary = FileSystem.parent(of: location) + "/." + name
            + ".corral-\(ProcessControl.pid)-\(UInt32.random(in: 0...UInt32.max))"
        let output = try FileDescriptor.open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode: 0o600)
        do {
            try writeMembers(to: output)
            try output.sync(subject: temporary)
            output.close()
        } catch {
            output.close()
            FileSystem.remove(temporary)
            throw error
        }
        return temporary
    }

    /// Puts the archive in place (a file already at `location` is replaced, as kubelet names
    /// each checkpoint by its time anyway); on failure the temporary file is removed.
    static func commit(_ temporary: String, to location: String) throws(SystemError) {
        do {
            try FileSystem.rename(temporary, to: location)
        } catch {
            FileSystem.remove(temporary)
            throw error
        }
        FileSystem.syncDirectory(FileSystem.parent(of: location))
    }

    private func writeMembers(to output: FileDescriptor) throws(SystemError) {
        let tar = TarWriter(output)
        for (name, bytes) in contents {
            try tar.file(name, bytes: bytes, mode: 0o600)
        }
        try tar.directory("checkpoint", mode: 0o700)
        for image in try FileSystem.listDirectory(images).sorted() {
            let path = images + "/" + image
            let status = try FileSystem.status(path, followingLinks: false)
            guard status.kind == .regular else { continue }
            try tar.file("checkpoint/" + image, copying: path, size: Int(status.size), mode: 0o600)
        }
        for file in files {
            let status: FileStatus
            do {
                status = try FileSystem.status(file.path)
            } catch where file.optional && error.errno == ENOENT {
                continue
            }
            try tar.file(file.name, copying: file.path, size: Int(status.size), mode: 0o600)
        }
        try tar.finish()
    }
}
