#if canImport(Glibc)
import Glibc
#endif

/// What stat(2) says about a file, in the terms callers ask about.
public struct FileStatus: Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        case regular, directory, symbolicLink, characterDevice, blockDevice, fifo, socket, unknown
    }

    public var kind: Kind
    public var size: Int64
    /// The device a character or block device node stands for; 0 for overlay's whiteouts.
    public var device: UInt64
    /// The file system the file is on (st_dev).
    public var filesystem: UInt64
    /// Permission bits with setuid, setgid and sticky.
    public var permissions: Int
    public var uid: Int
    public var gid: Int
    /// Seconds since the epoch.
    public var modified: Int64

    /// The halves of `device`, as tar headers carry them (Linux's packing, `At.device` undone).
    public var deviceMajor: Int { Int((device >> 8) & 0xfff | (device >> 32) & ~0xfff) }
    public var deviceMinor: Int { Int(device & 0xff | (device >> 12) & ~0xff) }

    init(_ info: stat) {
        switch info.st_mode & S_IFMT {
        case S_IFREG: kind = .regular
        case S_IFDIR: kind = .directory
        case S_IFLNK: kind = .symbolicLink
        case S_IFCHR: kind = .characterDevice
        case S_IFBLK: kind = .blockDevice
        case S_IFIFO: kind = .fifo
        case S_IFSOCK: kind = .socket
        default: kind = .unknown
        }
        size = Int64(info.st_size)
        device = UInt64(info.st_rdev)
        filesystem = UInt64(info.st_dev)
        permissions = Int(info.st_mode & 0o7777)
        uid = Int(info.st_uid)
        gid = Int(info.st_gid)
        modified = Int64(info.st_mtim.tv_sec)
    }
}

extension FileSystem {
    /// stat(2), or lstat(2) when not `followingLinks`.
    public static func status(_ path: String, followingLinks: Bool = true) throws(SystemError) -> FileStatus {
        var info = stat()
        let rc = followingLinks ? stat(path, &info) : lstat(path, &info)
        guard rc == 0 else { throw SystemError(followingLinks ? "stat" : "lstat", path) }
        return FileStatus(info)
    }
}

extension FileSystem {
    /// chown(2), following links: for paths the runtime made itself.
    public static func changeOwner(_ path: String, uid: UInt32, gid: UInt32) throws(SystemError) {
        guard chown(path, uid, gid) == 0 else { throw SystemError("chown", path) }
    }
}
