#if canImport(Glibc)
import Glibc
#endif

/// The *at() calls: names resolved relative to a directory descriptor, taken as bytes (tar
/// names need not be UTF-8). Nothing here follows a symlink at the last component.
public enum At {
    /// lstat relative to a directory; nil when nothing is there.
    public static func status(_ dir: FileDescriptor, _ name: [UInt8]) throws(SystemError) -> FileStatus? {
        var info = stat()
        let rc = withName(name) { fstatat(dir.rawValue, $0, &info, AT_SYMLINK_NOFOLLOW) }
        if rc == 0 { return FileStatus(info) }
        if errno == ENOENT { return nil }
        throw SystemError("fstatat", text(name))
    }

    /// Opens close-on-exec, as every descriptor here is.
    public static func open(_ dir: FileDescriptor, _ name: [UInt8], _ flags: Int32, mode: mode_t = 0) throws(SystemError) -> FileDescriptor {
        while true {
            let fd = withName(name) { openat(dir.rawValue, $0, flags | O_CLOEXEC, mode) }
            if fd >= 0 { return FileDescriptor(rawValue: fd) }
            if errno != EINTR { throw SystemError("openat", text(name)) }
        }
    }

    /// Succeeds when the directory is there already.
    public static func makeDirectory(_ dir: FileDescriptor, _ name: [UInt8], mode: mode_t) throws(SystemError) {
        guard withName(name, { mkdirat(dir.rawValue, $0, mode) }) == 0 || errno == EEXIST else {
            throw SystemError("mkdirat", text(name))
        }
    }

    /// Errors name `subject`, or the name itself.
    public static func makeNode(_ dir: FileDescriptor, _ name: [UInt8], mode: mode_t, device: dev_t,
                                subject: String? = nil) throws(SystemError) {
        guard withName(name, { mknodat(dir.rawValue, $0, mode, device) }) == 0 else {
            throw SystemError("mknodat", subject ?? text(name))
        }
    }

    public static func symlink(_ target: [UInt8], _ dir: FileDescriptor, _ name: [UInt8]) throws(SystemError) {
        let rc = withName(target) { t in withName(name) { symlinkat(t, dir.rawValue, $0) } }
        guard rc == 0 else { throw SystemError("symlinkat", text(name)) }
    }

    /// A hard link; never follows a symlink at the target (linkat without AT_SYMLINK_FOLLOW).
    public static func link(_ targetDir: FileDescriptor, _ target: [UInt8], _ dir: FileDescriptor, _ name: [UInt8]) throws(SystemError) {
        let rc = withName(target) { t in withName(name) { linkat(targetDir.rawValue, t, dir.rawValue, $0, 0) } }
        guard rc == 0 else { throw SystemError("linkat", text(name)) }
    }

    public static func readLink(_ dir: FileDescriptor, _ name: [UInt8]) throws(SystemError) -> [UInt8] {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let n = withName(name) { readlinkat(dir.rawValue, $0, &buffer, buffer.count) }
        guard n >= 0 else { throw SystemError("readlinkat", text(name)) }
        return buffer[..<n].map { UInt8(bitPattern: $0) }
    }

    /// Succeeds when nothing is there.
    public static func unlink(_ dir: FileDescriptor, _ name: [UInt8], directory: Bool = false) throws(SystemError) {
        guard withName(name, { unlinkat(dir.rawValue, $0, directory ? AT_REMOVEDIR : 0) }) == 0 || errno == ENOENT else {
            throw SystemError("unlinkat", text(name))
        }
    }

    /// Ids as tar and image configs give them, truncated to the kernel's 32 bits.
    public static func chown(_ dir: FileDescriptor, _ name: [UInt8], uid: Int, gid: Int) throws(SystemError) {
        let rc = withName(name) {
            fchownat(dir.rawValue, $0, uid_t(truncatingIfNeeded: uid), gid_t(truncatingIfNeeded: gid), AT_SYMLINK_NOFOLLOW)
        }
        guard rc == 0 else { throw SystemError("fchownat", text(name)) }
    }

    /// fchmodat follows a symlink at the last component (Linux cannot change a link's mode):
    /// only for names known not to be links. Errors name `subject`, or the name itself.
    public static func changeMode(_ dir: FileDescriptor, _ name: [UInt8], _ mode: mode_t, subject: String? = nil) throws(SystemError) {
        guard withName(name, { fchmodat(dir.rawValue, $0, mode, 0) }) == 0 else {
            throw SystemError("fchmodat", subject ?? text(name))
        }
    }

    public static func setTimes(_ dir: FileDescriptor, _ name: [UInt8], accessed: FileTime, modified: FileTime) throws(SystemError) {
        var times = [accessed.timespec, modified.timespec]
        let rc = withName(name) { utimensat(dir.rawValue, $0, &times, AT_SYMLINK_NOFOLLOW) }
        guard rc == 0 else { throw SystemError("utimensat", text(name)) }
    }

    /// Linux's dev_t packing (what glibc's makedev macro computes).
    public static func device(major: UInt32, minor: UInt32) -> dev_t {
        let major = UInt64(major), minor = UInt64(minor)
        return dev_t((major & 0xfff) << 8 | (major & ~0xfff) << 32 | (minor & 0xff) | (minor & ~0xff) << 12)
    }

    /// `name` as the NUL-terminated C string the calls take.
    static func withName<R, E: Error>(_ name: [UInt8], _ body: (UnsafePointer<CChar>) throws(E) -> R) throws(E) -> R {
        let terminated = name + [0]
        return try terminated.withUnsafeBufferPointer { (buffer) throws(E) -> R in
            // Never nil: `terminated` holds at least its NUL.
            try body(UnsafeRawPointer(buffer.baseAddress!).assumingMemoryBound(to: CChar.self))
        }
    }

    static func text(_ name: [UInt8]) -> String {
        String(decoding: name, as: UTF8.self)
    }
}
