import Dispatch
import Synchronization

/// Opens once; everyone waiting, and everyone who comes later, goes through. A wait may give
/// up after a timeout without leaving anything behind (no child task to outlive it).
public final class Latch: Sendable {
    private struct State {
        var open = false
        var nextID = 0
        /// A list, not a dictionary keyed by id: waiters are few, and a dictionary's first use
        /// in a fresh shim costs a type-metadata lookup (its key's Hashable conformance) on the
        /// path of the first container it creates.
        var waiters: [(id: Int, continuation: CheckedContinuation<Bool, Never>)] = []
    }

    private let state = Mutex(State())

    public init() {}

    public var isOpen: Bool { state.withLock { $0.open } }

    public func open() {
        let waiters = state.withLock { s -> [CheckedContinuation<Bool, Never>] in
            s.open = true
            defer { s.waiters.removeAll() }
            return s.waiters.map(\.continuation)
        }
        waiters.forEach { $0.resume(returning: true) }
    }

    /// True once open; false if `timeout` passed first.
    @discardableResult
    public func wait(timeout: Duration? = nil) async -> Bool {
        await withCheckedContinuation { continuation in
            let id = state.withLock { s -> Int? in
                if s.open { return nil }
                let id = s.nextID
                s.nextID += 1
                s.waiters.append((id, continuation))
                return id
            }
            guard let id else {
                continuation.resume(returning: true)
                return
            }
            if let timeout {
                let nanos = Int(clamping: timeout.nanoseconds)
                DispatchQueue.global().asyncAfter(deadline: .now() + .nanoseconds(nanos)) { [self] in
                    state.withLock { s -> CheckedContinuation<Bool, Never>? in
                        guard let index = s.waiters.firstIndex(where: { $0.id == id }) else { return nil }
                        return s.waiters.remove(at: index).continuation
                    }?.resume(returning: false)
                }
            }
        }
    }
}
