#if canImport(Glibc)
import Glibc
#endif
import CorralSystem

/// The system calls ShimIO needs beyond CorralSystem's.
extension FileDescriptor {
    /// write(2) straight to the descriptor. On an O_APPEND file one call lands as a unit, so the
    /// records in it never interleave with another writer's; only a short write (disk full, say)
    /// takes a second call.
    func writeWhole(_ bytes: UnsafeRawBufferPointer) throws(SystemError) {
        var offset = 0
        while offset < bytes.count {
            let n = Glibc.write(rawValue, bytes.baseAddress! + offset, bytes.count - offset)
            if n < 0 {
                if errno == EINTR { continue }
                throw SystemError("write")
            }
            offset += n
        }
    }

    /// The pumps wait in poll(2), never in a read or a write.
    func setNonBlocking(_ nonBlocking: Bool = true) throws(SystemError) {
        let flags = fcntl(rawValue, F_GETFL)
        guard flags >= 0,
              fcntl(rawValue, F_SETFL, nonBlocking ? flags | O_NONBLOCK : flags & ~O_NONBLOCK) == 0 else {
            throw SystemError("fcntl O_NONBLOCK")
        }
    }
}
