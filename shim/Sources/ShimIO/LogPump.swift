#if canImport(Glibc)
import Glibc
#endif
import CorralSystem
import Dispatch

/// Moves one container output stream (the read end of its stdout or stderr pipe, or a pty
/// master, logged as stdout) into a `CRILogWriter` until end of file.
///
/// Reads run on a Dispatch read source with a non-blocking descriptor: no thread waits per
/// stream, and the read buffer lives on the stack of the wakeup, not in the shim's heap. The pump
/// keeps itself alive until the stream ends or `cancel()`; then it writes the stream's unfinished
/// line, closes the descriptor and calls `completion`, after which all of the stream's output is
/// in the log, so the shim can report the container's exit.
public final class LogPump: Sendable {
    /// The default queue for pumps: log writes are short, and one thread serves every stream.
    public static let sharedQueue = DispatchQueue(label: "corral.shim.log-pump")

    /// Bytes per read(2); a pipe holds 64 KiB, so a busy one drains in a few reads.
    static let readSize = 32 * 1024
    /// Reads per wakeup before yielding the queue to other streams; the source fires again.
    static let readsPerWakeup = 8

    private let fd: FileDescriptor
    private let stream: LogStream
    private let writer: CRILogWriter
    private let onError: @Sendable (SystemError) -> Void
    private let completion: @Sendable () -> Void
    private let source: ReadSource

    /// Takes ownership of `fd` (the pump closes it) and starts reading at once. Errors writing
    /// the log go to `onError` and do not stop the pump: the container's output keeps draining,
    /// so it never blocks on a full pipe.
    public init(reading fd: FileDescriptor, stream: LogStream, into writer: CRILogWriter,
                queue: DispatchQueue = LogPump.sharedQueue,
                onError: @escaping @Sendable (SystemError) -> Void = { _ in },
                completion: @escaping @Sendable () -> Void) throws(SystemError) {
        try fd.setNonBlocking()
        self.fd = fd
        self.stream = stream
        self.writer = writer
        self.onError = onError
        self.completion = completion
        source = ReadSource(DispatchSource.makeReadSource(fileDescriptor: fd.rawValue, queue: queue))
        // The handlers hold the pump until the source is cancelled; Dispatch releases them then.
        source.source.setEventHandler { [self] in drain() }
        source.source.setCancelHandler { [self] in end() }
        source.source.resume()
    }

    /// Stops reading before end of file (output still unread is not logged); `completion` runs.
    public func cancel() {
        source.source.cancel()
    }

    private func drain() {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: Self.readSize) { buffer in
            var reads = 0
            while reads < Self.readsPerWakeup {
                let n = Glibc.read(fd.rawValue, buffer.baseAddress, buffer.count)
                if n > 0 {
                    reads += 1
                    do throws(SystemError) {
                        try writer.write(UnsafeBufferPointer(rebasing: buffer[..<n]), stream: stream)
                    } catch {
                        onError(error)
                    }
                    if n < buffer.count { return }  // the pipe is empty now, most likely
                    continue
                }
                if n == 0 { return cancel() }
                switch errno {
                case EINTR: continue
                case EAGAIN: return
                case EIO: return cancel()  // a pty master reads EIO once the container side closed
                default:
                    onError(SystemError("read"))
                    return cancel()
                }
            }
        }
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

/// A Dispatch source is safe to cancel from any thread; the type just does not say so.
private struct ReadSource: @unchecked Sendable {
    let source: any DispatchSourceRead
    init(_ source: any DispatchSourceRead) { self.source = source }
}
