#if canImport(Glibc)
import Glibc
#endif
import CCorral

/// A raw file descriptor with Swift names for the calls made on it. A value, not an owner:
/// whoever opened it closes it.
public struct FileDescriptor: RawRepresentable, Hashable, Sendable {
    public let rawValue: Int32
    public init(rawValue: Int32) { self.rawValue = rawValue }

    public static func open(_ path: String, _ flags: Int32, mode: mode_t = 0o644) throws(SystemError) -> FileDescriptor {
        let fd = try retryingOnInterrupt("open", path) { Int(Glibc.open(path, flags | O_CLOEXEC, mode)) }
        return FileDescriptor(rawValue: Int32(fd))
    }

    public func close() {
        _ = Glibc.close(rawValue)
    }

    /// Reads at most `count` bytes; an empty result means end of file.
    public func read(upTo count: Int) throws(SystemError) -> [UInt8] {
        var buffer = [UInt8](repeating: 0, count: count)
        let n = try retryingOnInterrupt("read") {
            buffer.withUnsafeMutableBytes { Glibc.read(rawValue, $0.baseAddress, $0.count) }
        }
        buffer.removeLast(count - n)
        return buffer
    }

    /// Reads without blocking; nil when nothing is available now.
    public func receiveAvailable(into buffer: inout [UInt8]) throws(SystemError) -> Int? {
        while true {
            let n = buffer.withUnsafeMutableBytes { raw in
                recv(rawValue, raw.baseAddress, raw.count, Int32(MSG_DONTWAIT))
            }
            if n >= 0 { return n }
            switch errno {
            case EINTR: continue
            case EAGAIN, EWOULDBLOCK: return nil
            default: throw SystemError("recv")
            }
        }
    }

    /// Writes every byte, blocking as needed; never raises SIGPIPE on sockets.
    public func writeAll(_ bytes: some Collection<UInt8>) throws(SystemError) {
        let array = Array(bytes)
        var offset = 0
        while offset < array.count {
            let n = array.withUnsafeBytes { raw -> Int in
                let base = raw.baseAddress! + offset
                let r = send(rawValue, base, raw.count - offset, Int32(MSG_NOSIGNAL))
                if r < 0 && errno == ENOTSOCK { return Glibc.write(rawValue, base, raw.count - offset) }
                return r
            }
            if n < 0 {
                if errno == EINTR { continue }
                throw SystemError("write")
            }
            offset += n
        }
    }

    public func writeAll(_ text: String) throws(SystemError) {
        try writeAll(Array(text.utf8))
    }

    public func sync() throws(SystemError) {
        try retryingOnInterrupt("fsync") { Int(fsync(rawValue)) }
    }

    public static func pipe() throws(SystemError) -> (read: FileDescriptor, write: FileDescriptor) {
        var fds: [Int32] = [-1, -1]
        try retryingOnInterrupt("pipe2") { Int(ccorral_pipe2_cloexec(&fds)) }
        return (FileDescriptor(rawValue: fds[0]), FileDescriptor(rawValue: fds[1]))
    }
}
