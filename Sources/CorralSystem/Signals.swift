#if canImport(Glibc)
import Glibc
#endif
import CCorral
import Dispatch

/// Signals delivered as events on a queue instead of to handlers.
///
/// `block` must run before the process starts any thread, so every thread inherits the mask
/// and only the signalfd sees these signals. Children started through `Spawn` get an empty mask.
public final class SignalEvents: @unchecked Sendable {
    // @unchecked: the source is set once in init and only touched on `queue` afterwards.
    private let source: any DispatchSourceRead
    private let fd: FileDescriptor

    public init(block signals: [Int32], queue: DispatchQueue, handler: @escaping @Sendable (Int32) -> Void) throws(SystemError) {
        let raw = signals.withUnsafeBufferPointer { ccorral_signalfd_block($0.baseAddress, Int32($0.count)) }
        guard raw >= 0 else { throw SystemError("signalfd") }
        let fd = FileDescriptor(rawValue: raw)
        self.fd = fd
        source = DispatchSource.makeReadSource(fileDescriptor: raw, queue: queue)
        source.setEventHandler {
            while true {
                let signal = ccorral_signalfd_next(fd.rawValue)
                if signal == 0 { break }
                handler(signal)
            }
        }
        source.setCancelHandler { fd.close() }
        source.resume()
    }

    public func cancel() {
        source.cancel()
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

extension SignalEvents {
    /// Blocks `signals` in the calling thread. Call it from `main` before anything starts a
    /// thread: threads inherit the mask, and a signal left unblocked in any one thread is
    /// delivered there instead of to the signalfd.
    public static func blockEarly(_ signals: [Int32]) {
        var set = sigset_t()
        sigemptyset(&set)
        for signal in signals { sigaddset(&set, signal) }
        pthread_sigmask(SIG_BLOCK, &set, nil)
    }
}
