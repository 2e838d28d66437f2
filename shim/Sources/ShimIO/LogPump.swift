#if canImport(Glibc)
import Glibc
#endif
import CorralSystem
import Synchronization

/// Moves one container output stream (the read end of its stdout or stderr pipe, or a pty
/// master, logged as stdout) into a `CRILogWriter` until end of file.
///
/// Each pump reads on a small thread of its own, waiting in poll(2). A Dispatch read source
/// would share one epoll set with everything else in the shim, and streams end (and their
/// descriptors close, and the numbers get reused) at the busiest moments: libdispatch's epoll
/// backend was seen to fault under exactly that churn. A pump keeps itself alive until the stream
/// ends or `cancel()`; then it writes the stream's unfinished line, closes the descriptor and
/// calls `completion`, after which all of the stream's output is in the log, so the shim can
/// report the container's exit.
public final class LogPump: Sendable {
    /// Bytes per read(2); a pipe holds 64 KiB, so a busy one drains in a few reads.
    static let readSize = 8 * 1024
    /// How often a waiting pump looks at its cancel flag.
    static let pollMillis: Int32 = 100

    private let fd: FileDescriptor
    private let stream: LogStream
    private let writer: CRILogWriter
    private let onError: @Sendable (SystemError) -> Void
    private let completion: @Sendable () -> Void
    private let cancelled = Mutex(false)

    /// Takes ownership of `fd` (the pump closes it) and starts reading at once. Errors writing
    /// the log go to `onError` and do not stop the pump: the container's output keeps draining,
    /// so it never blocks on a full pipe.
    public init(reading fd: FileDescriptor, stream: LogStream, into writer: CRILogWriter,
                onError: @escaping @Sendable (SystemError) -> Void = { _ in },
                completion: @escaping @Sendable () -> Void) throws(SystemError) {
        try fd.setNonBlocking()
        self.fd = fd
        self.stream = stream
        self.writer = writer
        self.onError = onError
        self.completion = completion
        BlockingWork.start { [self] in run() }
    }

    /// Stops reading before end of file (output still unread is not logged); `completion` runs.
    public func cancel() {
        cancelled.withLock { $0 = true }
    }

    private func run() {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: Self.readSize) { buffer in
            while !cancelled.withLock({ $0 }) {
                var poller = pollfd(fd: fd.rawValue, events: Int16(POLLIN), revents: 0)
                let ready = poll(&poller, 1, Self.pollMillis)
                if ready < 0 && errno != EINTR {
                    onError(SystemError("poll"))
                    return
                }
                guard ready > 0 else { continue }
                let n = Glibc.read(fd.rawValue, buffer.baseAddress, buffer.count)
                if n > 0 {
                    do throws(SystemError) {
                        try writer.write(UnsafeBufferPointer(rebasing: buffer[..<n]), stream: stream)
                    } catch {
                        onError(error)
                    }
                    continue
                }
                if n == 0 { return }
                switch errno {
                case EINTR, EAGAIN:
                    continue
                case EIO:  // a pty master reads EIO once the container's side is closed
                    return
                default:
                    onError(SystemError("read"))
                    return
                }
            }
        }
        end()
    }

    private func end() {
        do {
            try writer.finish(stream)
        } catch {
            onError(error)
        }
        fd.close()
        completion()
    }
}
