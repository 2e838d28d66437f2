#if canImport(Glibc)
import Glibc
#endif

/// What statvfs(3) says of the filesystem a path is on: its size and inodes, as a process
/// without special privileges may use them.
public struct FileSystemCapacity: Sendable, Equatable {
    public var totalBytes: UInt64
    public var availableBytes: UInt64
    public var totalInodes: UInt64
    public var freeInodes: UInt64
}

extension FileSystem {
    public static func capacity(of path: String) throws(SystemError) -> FileSystemCapacity {
        var info = statvfs()
        guard statvfs(path, &info) == 0 else { throw SystemError("statvfs", path) }
        let block = UInt64(info.f_frsize)
        return FileSystemCapacity(totalBytes: UInt64(info.f_blocks) * block, availableBytes: UInt64(info.f_bavail) * block,
                                  totalInodes: UInt64(info.f_files), freeInodes: UInt64(info.f_favail))
    }
}
