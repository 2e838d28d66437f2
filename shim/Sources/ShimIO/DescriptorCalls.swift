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

    /// A read source drains until EAGAIN, which needs reads that never block.
    func setNonBlocking() throws(SystemError) {
        let flags = fcntl(rawValue, F_GETFL)
        guard flags >= 0, fcntl(rawValue, F_SETFL, flags | O_NONBLOCK) == 0 else {
            throw SystemError("fcntl O_NONBLOCK")
        }
    }
}
