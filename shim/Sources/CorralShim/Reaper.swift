import CorralSystem
import Synchronization

/// The shim's only waiter. As a child subreaper the shim inherits every orphan below it, so
/// something must call waitpid(-1); doing it in exactly one place means no exit status is
/// ever taken by a second waiter. Exits nobody waits for yet are kept until someone asks.
public final class Reaper: Sendable {
    private struct State {
        var waiters: [Int32: [CheckedContinuation<ExitStatus, Never>]] = [:]
        var unclaimed: [Int32: ExitStatus] = [:]
        var reaped: UInt64 = 0
    }

    private let state = Mutex(State())
    private let log: ShimLog

    public init(log: ShimLog) {
        self.log = log
    }

    /// Called on SIGCHLD: collects every child that has exited.
    public func reap() {
        while let (pid, status) = ProcessControl.reapAny() {
            let waiters = state.withLock { s -> [CheckedContinuation<ExitStatus, Never>] in
                s.reaped += 1
                if let waiting = s.waiters.removeValue(forKey: pid) { return waiting }
                s.unclaimed[pid] = status
                // Orphans reparented to us are never waited for; keep the map bounded.
                if s.unclaimed.count > 1024 { s.unclaimed.removeAll() }
                return []
            }
            log(.debug, "reaped pid \(pid): \(status)")
            waiters.forEach { $0.resume(returning: status) }
        }
    }

    /// Waits for `pid`, a child of this process, to exit.
    public func wait(for pid: Int32) async -> ExitStatus {
        await withCheckedContinuation { continuation in
            let done = state.withLock { s -> ExitStatus? in
                if let status = s.unclaimed.removeValue(forKey: pid) { return status }
                s.waiters[pid, default: []].append(continuation)
                return nil
            }
            if let done { continuation.resume(returning: done) }
        }
    }

    public var reapedCount: UInt64 { state.withLock { $0.reaped } }
}
