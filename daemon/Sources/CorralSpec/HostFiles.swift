#if canImport(Glibc)
import Glibc
#endif
import CorralSystem

/// What lstat says about a host file, in the terms device nodes need.
struct HostFileStatus: Equatable {
    enum Kind: Equatable { case directory, characterDevice, blockDevice, fifo, symlink, other }
    var kind: Kind
    var permissions: UInt32
    var major: Int64
    var minor: Int64
    var uid: UInt32
    var gid: UInt32
}

/// The few host look-ups the generator makes, with errors as errno values so callers can
/// name the CRI field they came from.
enum HostFiles {
    /// The path with every symlink resolved, or the errno of the failure.
    static func resolve(_ path: String) -> Result<String, SystemError> {
        guard let resolved = realpath(path, nil) else { return .failure(SystemError("realpath", path)) }
        defer { free(resolved) }
        return .success(String(cString: resolved))
    }

    static func status(_ path: String, followingLinks: Bool = false) -> Result<HostFileStatus, SystemError> {
        var info = stat()
        let rc = followingLinks ? stat(path, &info) : lstat(path, &info)
        guard rc == 0 else { return .failure(SystemError(followingLinks ? "stat" : "lstat", path)) }
        let kind: HostFileStatus.Kind = switch info.st_mode & S_IFMT {
        case S_IFDIR: .directory
        case S_IFCHR: .characterDevice
        case S_IFBLK: .blockDevice
        case S_IFIFO: .fifo
        case S_IFLNK: .symlink
        default: .other
        }
        // glibc's gnu_dev_major/minor, which Swift cannot import as macros.
        let device = UInt64(info.st_rdev)
        let major = ((device >> 8) & 0xfff) | ((device >> 32) & ~UInt64(0xfff))
        let minor = (device & 0xff) | ((device >> 12) & ~UInt64(0xff))
        return .success(HostFileStatus(kind: kind, permissions: UInt32(info.st_mode & 0o7777),
                                       major: Int64(major), minor: Int64(minor), uid: info.st_uid, gid: info.st_gid))
    }

    static func read(_ path: String, limit: Int = 4 << 20) -> Result<[UInt8], SystemError> {
        do throws(SystemError) {
            return .success(try FileSystem.readFile(path, limit: limit))
        } catch {
            return .failure(error)
        }
    }
}

extension SystemError {
    /// strerror's text, lower-cased at the start to read well after a colon.
    var reason: String {
        let text = String(cString: strerror(errno))
        return text.prefix(1).lowercased() + text.dropFirst()
    }
}
