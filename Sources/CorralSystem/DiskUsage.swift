#if canImport(Glibc)
import Glibc
#endif

/// What a directory tree takes on its disk, counted as du(1) counts it: the blocks allocated to
/// every file, directory and link, a file with several hard links once, and nothing of another
/// file system mounted inside. This is what kubelet compares with the disk's capacity, so image
/// and container usage are reported in these terms rather than as the files' lengths.
public struct DiskUsage: Sendable, Equatable {
    public var bytes: UInt64 = 0
    public var inodes: UInt64 = 0

    public init(bytes: UInt64 = 0, inodes: UInt64 = 0) {
        self.bytes = bytes
        self.inodes = inodes
    }

    /// The tree at `path`, itself included; zero when it is not there. Files removed while it
    /// is counted add nothing; the walk goes through descriptors, never following a link.
    public static func of(_ path: String) -> DiskUsage {
        var usage = DiskUsage()
        var info = stat()
        guard lstat(path, &info) == 0 else { return usage }
        var linked: Set<ino_t> = []
        usage.count(info, linked: &linked)
        guard info.st_mode & S_IFMT == S_IFDIR else { return usage }
        let fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
        guard fd >= 0 else { return usage }
        usage.walk(fd, device: info.st_dev, linked: &linked)
        return usage
    }

    private mutating func count(_ info: stat, linked: inout Set<ino_t>) {
        if info.st_mode & S_IFMT != S_IFDIR && info.st_nlink > 1 {
            guard linked.insert(info.st_ino).inserted else { return }
        }
        bytes += UInt64(max(0, info.st_blocks)) * 512
        inodes += 1
    }

    /// Counts what directory `fd` holds, and closes it.
    private mutating func walk(_ fd: Int32, device: dev_t, linked: inout Set<ino_t>) {
        guard let dir = fdopendir(fd) else {
            close(fd)
            return
        }
        defer { closedir(dir) }
        while let entry = readdir(dir) {
            let isDot = withUnsafeBytes(of: entry.pointee.d_name) { name in
                name[0] == 0x2e && (name[1] == 0 || (name[1] == 0x2e && name[2] == 0))
            }
            if isDot { continue }
            withUnsafePointer(to: entry.pointee.d_name) { tuple in
                tuple.withMemoryRebound(to: CChar.self, capacity: 256) { name in
                    var info = stat()
                    guard fstatat(fd, name, &info, AT_SYMLINK_NOFOLLOW) == 0, info.st_dev == device else { return }
                    count(info, linked: &linked)
                    guard info.st_mode & S_IFMT == S_IFDIR else { return }
                    let child = openat(fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
                    if child >= 0 { walk(child, device: device, linked: &linked) }
                }
            }
        }
    }
}
