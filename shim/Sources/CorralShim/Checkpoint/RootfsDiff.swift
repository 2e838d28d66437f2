#if canImport(Glibc)
import Glibc
#endif
import CorralJSON
import CorralSystem
import CorralTar

/// What a container changed in its image: the files of its overlay upper directory as a tar
/// (`rootfs-diff.tar`), and what it removed (overlay's whiteouts) as the paths of
/// `deleted.files`, as CRI-O and Podman record them for a restore to apply.
///
/// What lies at or under a mount point of the spec is left out: runc makes those paths as mount
/// points, and whatever sits beneath a mount was never the container's to see. A directory the
/// container removed and made again (overlay's opaque directory) is recorded with its new
/// contents only: what the image had in it is not listed as deleted.
struct RootfsDiff {
    let upper: String
    /// Absolute paths inside the container.
    let excluded: Set<String>

    private(set) var deleted: [String] = []

    init(upper: String, excluded: Set<String>) {
        self.upper = upper
        self.excluded = excluded
    }

    /// The spec's mount destinations, which runc created in the rootfs for its mounts.
    static func mountDestinations(ofBundle bundle: String) throws -> Set<String> {
        let spec = try JSONValue(parsing: try FileSystem.readFile(bundle + "/config.json", limit: 16 << 20))
        return Set((spec["mounts"]?.array ?? []).compactMap { $0["destination"]?.string }.map(normalized))
    }

    /// Writes the tar as a new file, mode 0600 like the archive it goes into.
    mutating func write(toFile path: String) throws(SystemError) {
        let output = try FileDescriptor.open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode: 0o600)
        defer { output.close() }
        try write(to: output)
    }

    /// Writes the tar to `output`; `deleted` then holds the removed paths.
    mutating func write(to output: FileDescriptor) throws(SystemError) {
        let tar = TarWriter(output)
        try walk("", tar)
        try tar.finish()
    }

    private mutating func walk(_ relative: String, _ tar: TarWriter) throws(SystemError) {
        let directory = relative.isEmpty ? upper : upper + "/" + relative
        for name in try FileSystem.listDirectory(directory).sorted() {
            let path = relative.isEmpty ? name : relative + "/" + name
            guard !excluded.contains("/" + path) else { continue }
            let source = upper + "/" + path
            let status = try FileSystem.status(source, followingLinks: false)
            var member = TarMember(name: path, kind: .regular, mode: status.permissions, uid: status.uid, gid: status.gid,
                                   modified: status.modified)
            switch status.kind {
            case .characterDevice where status.device == 0:
                // overlayfs's whiteout: the file was removed from the image.
                deleted.append("/" + path)
                continue
            case .regular:
                member.size = Int(status.size)
                try tar.file(member, copying: source)
                continue
            case .directory:
                member.kind = .directory
                member.name += "/"
                try tar.add(member)
                try walk(path, tar)
                continue
            case .symbolicLink:
                member.kind = .symbolicLink
                member.linkName = String(decoding: try FileSystem.readLink(source), as: UTF8.self)
            case .characterDevice, .blockDevice:
                member.kind = status.kind == .characterDevice ? .characterDevice : .blockDevice
                member.deviceMajor = status.deviceMajor
                member.deviceMinor = status.deviceMinor
            case .fifo:
                member.kind = .fifo
            case .socket, .unknown:
                // A socket is only meaningful to a process listening on it; tar has no type for it.
                continue
            }
            try tar.add(member)
        }
    }

    /// `deleted.files`: a JSON array of paths inside the container.
    var deletedFilesJSON: [UInt8] {
        JSONValue.array(deleted.map { .string($0) }).serializedBytes()
    }

    private static func normalized(_ path: String) -> String {
        "/" + path.split(separator: "/").joined(separator: "/")
    }
}
