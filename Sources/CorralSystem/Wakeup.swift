#if canImport(Glibc)
import Glibc
#endif
import CCorral

/// An eventfd a thread waiting in poll(2) also waits on, so that others can wake it when
/// something it watches changes, instead of it waking on a timer to look.
public final class Wakeup: Sendable {
    public let fd: FileDescriptor

    public init() throws(SystemError) {
        let raw = ccorral_eventfd()
        guard raw >= 0 else { throw SystemError("eventfd") }
        fd = FileDescriptor(rawValue: raw)
    }

    deinit { fd.close() }

    /// Wakes the waiter (at once, or at its next poll if it is not waiting yet).
    public func wake() {
        var one: UInt64 = 1
        _ = Glibc.write(fd.rawValue, &one, 8)
    }

    /// Takes the wakes that arrived, so the next poll waits again.
    public func clear() {
        var count: UInt64 = 0
        _ = Glibc.read(fd.rawValue, &count, 8)
    }

    public var pollRequest: pollfd { pollfd(fd: fd.rawValue, events: Int16(POLLIN), revents: 0) }
}
