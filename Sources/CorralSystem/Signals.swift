#if canImport(Glibc)
import Glibc
#endif
import CCorral
import Dispatch

/// Signals delivered as events on a queue: a handler writes each to a pipe that a Dispatch
/// source reads. (A signalfd would need the signals blocked in every thread, and the Swift
/// runtime does not keep the mask of the main thread.) Children started through `Spawn` get
/// default dispositions and an empty mask.
public final class SignalEvents: @unchecked Sendable {
    // @unchecked: the source is set once in init and only touched on `queue` afterwards.
    private let source: any DispatchSourceRead
    private let fd: FileDescriptor

    public init(_ signals: [Int32], queue: DispatchQueue, handler: @escaping @Sendable (Int32) -> Void) throws(SystemError) {
        let raw = signals.withUnsafeBufferPointer { ccorral_signal_pipe($0.baseAddress, Int32($0.count)) }
        guard raw >= 0 else { throw SystemError("sigaction") }
        let fd = FileDescriptor(rawValue: raw)
        self.fd = fd
        source = DispatchSource.makeReadSource(fileDescriptor: raw, queue: queue)
        source.setEventHandler {
            while true {
                let signal = ccorral_signal_pipe_next(fd.rawValue)
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
