import CorralSystem
import Foundation

/// Bytes between a descriptor (a FIFO to a shim, a socket into a pod) and async code. Each
/// reader runs on a thread of its own, because these reads block and the concurrency pool
/// must never wait on them.
enum FDStreams {
    /// Everything read from `fd` until EOF or an error, in chunks; closes `fd` at the end.
    static func chunks(of fd: FileDescriptor, chunkSize: Int = 32 << 10) -> AsyncStream<[UInt8]> {
        AsyncStream { continuation in
            BlockingWork.start {
                while true {
                    // A read error ends the stream as end of file does: the process side is gone.
                    guard let chunk = try? fd.read(upTo: chunkSize), !chunk.isEmpty else { break }
                    if case .terminated = continuation.yield(chunk) { break }
                }
                fd.close()
                continuation.finish()
            }
        }
    }

    /// Waits until the reader of a FIFO or pipe has taken everything written to it (FIONREAD
    /// counts what is in the pipe from either end), or `limit` passed, or the task was cancelled.
    static func waitDrained(_ fd: FileDescriptor, limit: Duration = .seconds(2)) async {
        let deadline = ContinuousClock.now + limit
        while ContinuousClock.now < deadline, !Task.isCancelled {
            var pending: Int32 = 0
            guard ioctl(fd.rawValue, UInt(FIONREAD), &pending) == 0, pending > 0 else { return }
            // Cancelled: the loop sees it and ends.
            try? await Task.sleep(for: .milliseconds(5))
        }
    }

    /// Makes a FIFO; the shim opens the other end by its path.
    static func makeFIFO(_ path: String) throws(CRIError) {
        guard mkfifo(path, 0o600) == 0 else {
            throw .internalError("mkfifo \(path): \(String(cString: strerror(errno)))")
        }
    }

    /// Opens our end of a FIFO without waiting for the shim's: reading ends open non-blocking,
    /// then blocking again, so reads wait for data and see EOF once every writer has gone.
    static func openForReading(_ path: String) throws(CRIError) -> FileDescriptor {
        let fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)
        guard fd >= 0 else { throw .internalError("open \(path): \(String(cString: strerror(errno)))") }
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK)
        return FileDescriptor(rawValue: fd)
    }

    /// Our writing end: read-write, so the open never waits for the shim to open its end.
    static func openForWriting(_ path: String) throws(CRIError) -> FileDescriptor {
        let fd = open(path, O_RDWR | O_CLOEXEC)
        guard fd >= 0 else { throw .internalError("open \(path): \(String(cString: strerror(errno)))") }
        return FileDescriptor(rawValue: fd)
    }
}
