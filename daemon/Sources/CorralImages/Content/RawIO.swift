#if canImport(Glibc)
import Glibc
#endif
import CorralSystem

/// Whole-buffer reads and writes on raw descriptors, without an intermediate array per call.
enum RawIO {
    /// Linux's O_PATH, which Glibc's Swift module leaves out (it is a _GNU_SOURCE name).
    static let pathOnly: Int32 = 0o10000000

    static func writeAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer, subject: String) throws(SystemError) {
        guard var base = bytes.baseAddress else { return }
        var remaining = bytes.count
        while remaining > 0 {
            let n = Glibc.write(fd, base, remaining)
            if n < 0 {
                if errno == EINTR { continue }
                throw SystemError("write", subject)
            }
            base += n
            remaining -= n
        }
    }

    static func writeAll(_ fd: Int32, _ bytes: [UInt8], subject: String) throws(SystemError) {
        let failure = bytes.withUnsafeBytes { raw -> SystemError? in
            do throws(SystemError) { try writeAll(fd, raw, subject: subject) } catch { return error }
            return nil
        }
        if let failure { throw failure }
    }

    /// Fills as much of `buffer` as the file gives in one call; 0 at end of file.
    static func read(_ fd: Int32, into buffer: UnsafeMutableRawBufferPointer, subject: String) throws(SystemError) -> Int {
        while true {
            let n = Glibc.read(fd, buffer.baseAddress, buffer.count)
            if n >= 0 { return n }
            if errno != EINTR { throw SystemError("read", subject) }
        }
    }

    static func syncDirectory(_ path: String) {
        let fd = Glibc.open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { return }
        _ = fsync(fd)
        _ = Glibc.close(fd)
    }
}
