#if canImport(Glibc)
import Glibc
#endif
import CorralSystem
import Synchronization

/// A descriptor a `Pump` copies its source into, besides the log: a FIFO an attached client
/// reads, or a process's stdin. The pump never blocks on it: writes are non-blocking, and what
/// the descriptor cannot take yet waits here until poll(2) says it can.
///
/// Only the pump writes; anyone may `close()`, so every use of the descriptor is under the lock
/// and a closed outlet is never written to (nor its number, which may by then name another file).
public final class Outlet: Sendable {
    public enum Backpressure: Sendable {
        /// The pump reads nothing more from its source until this outlet has taken what it holds,
        /// so nothing is lost: a process's stdin, an exec's terminal (where nothing else keeps a copy).
        case holdSource
        /// The pump never waits for this outlet: beyond `limit` bytes its reader has not taken,
        /// the outlet is dropped as broken. A slow attached client must not stall the CRI log.
        case dropBeyond(Int)
    }

    /// Why an outlet ended, told to its owner unless the owner closed it.
    public enum Ending: Sendable {
        /// The pump's source ended and the outlet took everything read from it.
        case sourceEnded
        /// Its reader went away (EPIPE, POLLERR, POLLHUP) or fell too far behind.
        case broken
    }

    private struct State {
        var fd: FileDescriptor?
        var pending: [UInt8] = []
    }

    private let state: Mutex<State>
    /// Wakes the pump that polls this outlet, so that a close is seen at once.
    private let wakePump = Mutex<(@Sendable () -> Void)?>(nil)
    public let backpressure: Backpressure
    private let onEnd: @Sendable (Ending) -> Void

    /// Owns `fd` from here on (closing it even when this throws) and makes it non-blocking.
    public init(_ fd: FileDescriptor, backpressure: Backpressure,
                onEnd: @escaping @Sendable (Ending) -> Void = { _ in }) throws(SystemError) {
        do {
            try fd.setNonBlocking()
        } catch {
            fd.close()
            throw error
        }
        state = Mutex(State(fd: fd))
        self.backpressure = backpressure
        self.onEnd = onEnd
    }

    public var isOpen: Bool { state.withLock { $0.fd != nil } }

    /// Closes the descriptor, dropping what it still holds; `onEnd` is not called.
    public func close() {
        state.withLock { s in
            s.fd?.close()
            s.fd = nil
            s.pending = []
        }
        wakePump.withLock { $0 }?()
    }

    // MARK: for the pump

    /// The pump that polls this outlet, to be woken when it closes.
    func watched(by wake: @escaping @Sendable () -> Void) {
        wakePump.withLock { $0 = wake }
    }

    var hasPending: Bool { state.withLock { $0.fd != nil && !$0.pending.isEmpty } }

    /// True while a `.holdSource` outlet holds bytes: the pump must not read more.
    var holdsSource: Bool {
        guard case .holdSource = backpressure else { return false }
        return hasPending
    }

    /// What to poll: writability while bytes wait, else only errors (a reader that left).
    var pollRequest: pollfd {
        state.withLock { s in
            pollfd(fd: s.fd?.rawValue ?? -1, events: s.pending.isEmpty ? 0 : Int16(POLLOUT), revents: 0)
        }
    }

    func write(_ bytes: UnsafeBufferPointer<UInt8>) {
        let broke = state.withLock { s -> Bool in
            guard let fd = s.fd else { return false }
            var rest = bytes[...]
            if s.pending.isEmpty {
                guard let written = fd.writeAvailable(UnsafeRawBufferPointer(bytes)) else { return Self.drop(&s) }
                rest = rest.dropFirst(written)
            }
            guard !rest.isEmpty else { return false }
            s.pending.append(contentsOf: rest)
            if case .dropBeyond(let limit) = backpressure, s.pending.count > limit { return Self.drop(&s) }
            return false
        }
        if broke { onEnd(.broken) }
    }

    /// Acts on what poll(2) reported for `pollRequest`'s descriptor.
    func polled(_ revents: Int16) {
        guard revents != 0 else { return }
        let broke = state.withLock { s -> Bool in
            // POLLNVAL: closed by the owner since the poll set was built.
            guard let fd = s.fd, revents & Int16(POLLNVAL) == 0 else { return false }
            if revents & Int16(POLLOUT) != 0 && !s.pending.isEmpty {
                guard let written = s.pending.withUnsafeBytes({ fd.writeAvailable($0) }) else { return Self.drop(&s) }
                s.pending.removeFirst(written)
                return false
            }
            return revents & Int16(POLLERR | POLLHUP) != 0 ? Self.drop(&s) : false
        }
        if broke { onEnd(.broken) }
    }

    /// The source ended and what could be passed on was: closes, and tells the owner.
    func finish() {
        let wasOpen = state.withLock { s -> Bool in
            guard let fd = s.fd else { return false }
            fd.close()
            s.fd = nil
            s.pending = []
            return true
        }
        if wasOpen { onEnd(.sourceEnded) }
    }

    private static func drop(_ s: inout State) -> Bool {
        s.fd?.close()
        s.fd = nil
        s.pending = []
        return true
    }
}
