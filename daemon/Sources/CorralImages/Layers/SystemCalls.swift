#if canImport(Glibc)
import Glibc
#endif
import _FoundationCShims  // the only module of the toolchain that declares <sys/xattr.h>
import CorralSystem

/// The *at() calls extraction is made of, taking names as bytes (tar names need not be UTF-8).
enum At {
    static func withName<R, E: Error>(_ name: [UInt8], _ body: (UnsafePointer<CChar>) throws(E) -> R) throws(E) -> R {
        let terminated = name + [0]
        return try terminated.withUnsafeBufferPointer { (buffer) throws(E) -> R in
            try body(UnsafeRawPointer(buffer.baseAddress!).assumingMemoryBound(to: CChar.self))
        }
    }

    static func text(_ name: [UInt8]) -> String {
        String(decoding: name, as: UTF8.self)
    }

    /// lstat relative to a directory; nil when nothing is there.
    static func lstat(_ dir: Int32, _ name: [UInt8]) throws(SystemError) -> stat? {
        var info = stat()
        let rc = withName(name) { fstatat(dir, $0, &info, AT_SYMLINK_NOFOLLOW) }
        if rc == 0 { return info }
        if errno == ENOENT { return nil }
        throw SystemError("fstatat", text(name))
    }

    static func open(_ dir: Int32, _ name: [UInt8], _ flags: Int32, mode: mode_t = 0) throws(SystemError) -> Int32 {
        while true {
            let fd = withName(name) { openat(dir, $0, flags | O_CLOEXEC, mode) }
            if fd >= 0 { return fd }
            if errno != EINTR { throw SystemError("openat", text(name)) }
        }
    }

    /// A second descriptor for the same open file, close-on-exec as every descriptor here is.
    static func duplicate(_ fd: Int32) -> Int32 {
        fcntl(fd, F_DUPFD_CLOEXEC, 0)
    }

    static func makeDirectory(_ dir: Int32, _ name: [UInt8], mode: mode_t) throws(SystemError) {
        guard withName(name, { mkdirat(dir, $0, mode) }) == 0 || errno == EEXIST else {
            throw SystemError("mkdirat", text(name))
        }
    }

    static func makeNode(_ dir: Int32, _ name: [UInt8], mode: mode_t, device: dev_t) throws(SystemError) {
        guard withName(name, { mknodat(dir, $0, mode, device) }) == 0 else { throw SystemError("mknodat", text(name)) }
    }

    static func symlink(_ target: [UInt8], _ dir: Int32, _ name: [UInt8]) throws(SystemError) {
        let rc = withName(target) { t in withName(name) { symlinkat(t, dir, $0) } }
        guard rc == 0 else { throw SystemError("symlinkat", text(name)) }
    }

    /// A hard link; never follows a symlink at the target (linkat without AT_SYMLINK_FOLLOW).
    static func link(_ targetDir: Int32, _ target: [UInt8], _ dir: Int32, _ name: [UInt8]) throws(SystemError) {
        let rc = withName(target) { t in withName(name) { linkat(targetDir, t, dir, $0, 0) } }
        guard rc == 0 else { throw SystemError("linkat", text(name)) }
    }

    static func readLink(_ dir: Int32, _ name: [UInt8]) throws(SystemError) -> [UInt8] {
        var buffer = [UInt8](repeating: 0, count: Int(PATH_MAX) + 1)
        let n = withName(name) { path in
            buffer.withUnsafeMutableBytes { readlinkat(dir, path, $0.baseAddress!.assumingMemoryBound(to: CChar.self), $0.count) }
        }
        guard n >= 0 else { throw SystemError("readlinkat", text(name)) }
        return Array(buffer[..<n])
    }

    static func unlink(_ dir: Int32, _ name: [UInt8], directory: Bool = false) throws(SystemError) {
        guard withName(name, { unlinkat(dir, $0, directory ? AT_REMOVEDIR : 0) }) == 0 || errno == ENOENT else {
            throw SystemError("unlinkat", text(name))
        }
    }

    static func chown(_ dir: Int32, _ name: [UInt8], uid: Int, gid: Int) throws(SystemError) {
        let rc = withName(name) { fchownat(dir, $0, uid_t(truncatingIfNeeded: uid), gid_t(truncatingIfNeeded: gid), AT_SYMLINK_NOFOLLOW) }
        guard rc == 0 else { throw SystemError("fchownat", text(name)) }
    }

    static func setTimes(_ dir: Int32, _ name: [UInt8], accessed: TarTime, modified: TarTime) throws(SystemError) {
        var times = [timespec(tv_sec: Int(accessed.seconds), tv_nsec: accessed.nanoseconds),
                     timespec(tv_sec: Int(modified.seconds), tv_nsec: modified.nanoseconds)]
        let rc = withName(name) { utimensat(dir, $0, &times, AT_SYMLINK_NOFOLLOW) }
        guard rc == 0 else { throw SystemError("utimensat", text(name)) }
    }

    static func setTimes(_ fd: Int32, accessed: TarTime, modified: TarTime) throws(SystemError) {
        var times = [timespec(tv_sec: Int(accessed.seconds), tv_nsec: accessed.nanoseconds),
                     timespec(tv_sec: Int(modified.seconds), tv_nsec: modified.nanoseconds)]
        guard futimens(fd, &times) == 0 else { throw SystemError("futimens") }
    }

    /// Linux's dev_t packing (what glibc's makedev macro computes).
    static func device(major: UInt32, minor: UInt32) -> dev_t {
        let major = UInt64(major), minor = UInt64(minor)
        return dev_t((major & 0xfff) << 8 | (major & ~0xfff) << 32 | (minor & 0xff) | (minor & ~0xff) << 12)
    }
}

/// Extended attributes by descriptor, or by a path that is not followed at its last component.
enum ExtendedAttributes {
    static func set(fd: Int32, name: String, value: [UInt8]) throws(SystemError) {
        let rc = value.withUnsafeBytes { fsetxattr(fd, name, $0.baseAddress, $0.count, 0) }
        guard rc == 0 else { throw SystemError("fsetxattr", name) }
    }

    static func set(linkPath path: String, name: String, value: [UInt8]) throws(SystemError) {
        let rc = value.withUnsafeBytes { lsetxattr(path, name, $0.baseAddress, $0.count, 0) }
        guard rc == 0 else { throw SystemError("lsetxattr", name) }
    }

    /// Follows the path: for `/proc/self/fd/N`, which names the directory N is open on.
    static func set(path: String, name: String, value: [UInt8]) throws(SystemError) {
        let rc = value.withUnsafeBytes { setxattr(path, name, $0.baseAddress, $0.count, 0) }
        guard rc == 0 else { throw SystemError("setxattr", name) }
    }

    static func get(path: String, name: String) -> [UInt8]? {
        var buffer = [UInt8](repeating: 0, count: 256)
        let n = buffer.withUnsafeMutableBytes { lgetxattr(path, name, $0.baseAddress, $0.count) }
        return n >= 0 ? Array(buffer[..<n]) : nil
    }
}
