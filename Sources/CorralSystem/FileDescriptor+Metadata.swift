#if canImport(Glibc)
import Glibc
#endif

/// Mode, owner, times and length of the file a descriptor has open.
extension FileDescriptor {
    public func changeMode(_ mode: mode_t, subject: String = "") throws(SystemError) {
        guard fchmod(rawValue, mode) == 0 else { throw SystemError("fchmod", subject) }
    }

    /// Ids as tar and image configs give them, truncated to the kernel's 32 bits.
    public func changeOwner(uid: Int, gid: Int, subject: String = "") throws(SystemError) {
        guard fchown(rawValue, uid_t(truncatingIfNeeded: uid), gid_t(truncatingIfNeeded: gid)) == 0 else {
            throw SystemError("fchown", subject)
        }
    }

    public func setTimes(accessed: FileTime, modified: FileTime) throws(SystemError) {
        var times = [accessed.timespec, modified.timespec]
        guard futimens(rawValue, &times) == 0 else { throw SystemError("futimens") }
    }

    /// Empties the file and moves the offset back to its start, to write it over.
    public func truncateToEmpty(subject: String = "") throws(SystemError) {
        try truncate(to: 0, subject: subject)
    }

    /// Cuts the file to `length` bytes and moves the offset there, to go on writing from it.
    public func truncate(to length: Int64, subject: String = "") throws(SystemError) {
        guard ftruncate(rawValue, off_t(length)) == 0, lseek(rawValue, off_t(length), SEEK_SET) == off_t(length) else {
            throw SystemError("ftruncate", subject)
        }
    }
}
