#if canImport(Glibc)
import Glibc
#endif
import CCorral

/// A raw file descriptor with Swift names for the calls made on it. A value, not an owner:
/// whoever opened it closes it.
public struct FileDescriptor: RawRepresentable, Hashable, Sendable {
    public let rawValue: Int32
    public init(rawValue: Int32) { self.rawValue = rawValue }

    /// O_PATH: a descriptor that names a file without opening it for reading or writing.
    public static let pathOnly: Int32 = ccorral_o_path

    /// Opens `path`, always close-on-exec.
    public static func open(_ path: String, _ flags: Int32, mode: mode_t = 0o644) throws(SystemError) -> FileDescriptor {
        let fd = try retryingOnInterrupt("open", path) { Int(Glibc.open(path, flags | O_CLOEXEC, mode)) }
        return FileDescriptor(rawValue: Int32(fd))
    }

    public func close() {
        _ = Glibc.close(rawValue)
    }

    /// The path that names the open file itself: `/proc/self/fd/N`.
    public var procSelfPath: String { "/proc/self/fd/\(rawValue)" }

    /// Fills as much of `buffer` as one read(2) gives; 0 means end of file.
    public func read(into buffer: UnsafeMutableRawBufferPointer, subject: String = "") throws(SystemError) -> Int {
        try retryingOnInterrupt("read", subject) { Glibc.read(rawValue, buffer.baseAddress, buffer.count) }
    }

    /// Reads at most `count` bytes; an empty result means end of file.
    public func read(upTo count: Int) throws(SystemError) -> [UInt8] {
        var buffer = [UInt8](repeating: 0, count: count)
        // withUnsafeMutableBytes rethrows untyped errors: the Result carries the typed one out.
        let n = try buffer.withUnsafeMutableBytes { raw in Result { () throws(SystemError) in try read(into: raw) } }.get()
        buffer.removeLast(count - n)
        return buffer
    }

    /// Reads to end of file through one buffer of `chunkSize` bytes, reused from read to read,
    /// handing `body` what each read gave.
    public func readToEnd(chunkSize: Int, subject: String = "",
                          _ body: (UnsafeRawBufferPointer) throws(SystemError) -> Void) throws(SystemError) {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: chunkSize, alignment: 16)
        defer { buffer.deallocate() }
        while true {
            let n = try read(into: buffer, subject: subject)
            if n == 0 { return }
            try body(UnsafeRawBufferPointer(rebasing: buffer[..<n]))
        }
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

    public func sync(subject: String = "") throws(SystemError) {
        try retryingOnInterrupt("fsync", subject) { Int(fsync(rawValue)) }
    }

    /// A second descriptor for the same open file, close-on-exec as every descriptor here is.
    /// Never throws: on failure its raw value is -1, and any call made with it fails with EBADF.
    public func duplicate() -> FileDescriptor {
        FileDescriptor(rawValue: fcntl(rawValue, F_DUPFD_CLOEXEC, 0))
    }

    /// Sets or clears O_NONBLOCK, keeping the other status flags.
    public func setNonBlocking(_ nonBlocking: Bool = true) throws(SystemError) {
        let flags = fcntl(rawValue, F_GETFL)
        guard flags >= 0,
              fcntl(rawValue, F_SETFL, nonBlocking ? flags | O_NONBLOCK : flags & ~O_NONBLOCK) == 0 else {
            throw SystemError("fcntl O_NONBLOCK")
        }
    }

    public static func pipe() throws(SystemError) -> (read: FileDescriptor, write: FileDescriptor) {
        var fds: [Int32] = [-1, -1]
        try retryingOnInterrupt("pipe2") { Int(ccorral_pipe2_cloexec(&fds)) }
        return (FileDescriptor(rawValue: fds[0]), FileDescriptor(rawValue: fds[1]))
    }
}
