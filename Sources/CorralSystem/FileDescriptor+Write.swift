#if canImport(Glibc)
import Glibc
#endif

extension FileDescriptor {
    /// The call `writeAll` hands bytes to the kernel with.
    public enum WriteCall: Sendable {
        /// write(2). On an O_APPEND file one call lands as a unit, so what it carries never
        /// interleaves with another writer's; only a short write (disk full, say) takes a second.
        case write
        /// send(2) with MSG_NOSIGNAL, so a peer that went away is EPIPE rather than a SIGPIPE
        /// that kills the process; write(2) when the descriptor is not a socket.
        case sendIfSocket
    }

    /// Writes every byte, blocking as needed: a short write goes on where it stopped, a call a
    /// signal interrupted is made again. This is the one loop that does so; the other
    /// `writeAll`s come here.
    public func writeAll(_ bytes: UnsafeRawBufferPointer, using call: WriteCall = .sendIfSocket,
                         subject: String = "") throws(SystemError) {
        guard var base = bytes.baseAddress else { return }
        var remaining = bytes.count
        while remaining > 0 {
            let n: Int
            switch call {
            case .write:
                n = Glibc.write(rawValue, base, remaining)
            case .sendIfSocket:
                let sent = send(rawValue, base, remaining, Int32(MSG_NOSIGNAL))
                n = sent < 0 && errno == ENOTSOCK ? Glibc.write(rawValue, base, remaining) : sent
            }
            if n < 0 {
                if errno == EINTR { continue }
                throw SystemError("write", subject)
            }
            base += n
            remaining -= n
        }
    }

    public func writeAll(_ bytes: some Collection<UInt8>, using call: WriteCall = .sendIfSocket,
                         subject: String = "") throws(SystemError) {
        // withUnsafeBytes rethrows untyped errors: the Result carries the typed one out.
        try Array(bytes).withUnsafeBytes { raw in
            Result { () throws(SystemError) in try writeAll(raw, using: call, subject: subject) }
        }.get()
    }

    public func writeAll(_ text: String) throws(SystemError) {
        try writeAll(Array(text.utf8))
    }

    /// Writes what a non-blocking descriptor takes now: the count written, possibly short of
    /// all, or nil once the write failed (EPIPE when its reader is gone; EIO from a pty whose
    /// other side closed; anything else as well).
    public func writeAvailable(_ bytes: UnsafeRawBufferPointer) -> Int? {
        guard let base = bytes.baseAddress else { return 0 }
        var offset = 0
        while offset < bytes.count {
            let n = Glibc.write(rawValue, base + offset, bytes.count - offset)
            if n > 0 {
                offset += n
            } else if n < 0 && errno == EINTR {
                continue
            } else if n == 0 || errno == EAGAIN || errno == EWOULDBLOCK {
                break
            } else {
                return nil
            }
        }
        return offset
    }
}
