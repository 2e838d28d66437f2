#if canImport(Glibc)
import Glibc
#endif
import CCorral
import Synchronization

/// Signals delivered as events on a thread of their own: a handler writes each to a pipe that
/// the thread waits on. (A signalfd would need the signals blocked in every thread, and the Swift
/// runtime does not keep the mask of the main thread.) Children started through `Spawn` get
/// default dispositions and an empty mask.
///
/// Not a Dispatch read source: its wakeup is Dispatch's manager thread, which then wakes a
/// worker to run the handler. A thread parked on the pipe is one handoff fewer between a child's
/// exit and its reaping, on every runc and CNI call of a pod's start; on a busy machine each
/// handoff can wait for a core.
public final class SignalEvents: Sendable {
    private let fd: FileDescriptor
    private let cancelled = Atomic<Bool>(false)

    /// `handler` runs on the events' thread, one signal at a time.
    public init(_ signals: [Int32], handler: @escaping @Sendable (Int32) -> Void) throws(SystemError) {
        let raw = signals.withUnsafeBufferPointer { ccorral_signal_pipe($0.baseAddress, Int32($0.count)) }
        guard raw >= 0 else { throw SystemError("sigaction") }
        let fd = FileDescriptor(rawValue: raw)
        self.fd = fd
        do {
            try BlockingWork.startLongLived { [self] in
                while true {
                    let signal = ccorral_signal_pipe_wait(fd.rawValue)
                    if signal > 0 {
                        handler(signal)
                    } else if signal < 0 || cancelled.load(ordering: .acquiring) {
                        break
                    }
                }
                fd.close()
            }
        } catch {
            fd.close()
            throw error
        }
    }

    /// Stops the thread; signals that arrive afterwards are dropped.
    public func cancel() {
        cancelled.store(true, ordering: .releasing)
        ccorral_signal_pipe_interrupt()
    }

    /// Writes to a closed pipe fail with EPIPE instead of killing the process.
    public static func ignoreBrokenPipes() {
        _ = ccorral_ignore_signal(SIGPIPE)
    }
}

extension FileSystem {
    /// Takes an exclusive flock on `path` (created if missing), held until the descriptor closes.
    public static func lockExclusively(_ path: String) throws(SystemError) -> FileDescriptor {
        let fd = try FileDescriptor.open(path, O_RDWR | O_CREAT, mode: 0o600)
        guard ccorral_flock_exclusive(fd.rawValue) == 0 else {
            let error = SystemError("flock", path)
            fd.close()
            throw error
        }
        return fd
    }

    /// The path of the running executable.
    public static var currentExecutable: String {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let n = readlink("/proc/self/exe", &buffer, Int(PATH_MAX))
        return n > 0 ? String(decoding: buffer[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self) : "corral-shim"
    }
}
