import CorralSystem
import Synchronization

/// The shim's only waiter. As a child subreaper the shim inherits every orphan below it, so
/// something must call waitpid(-1); doing it in exactly one place means no exit status is
/// ever taken by a second waiter.
///
/// Exits are numbered as they are reaped. A waiter names the number it saw before its process
/// was started (`mark`), and only a later exit of that pid is its own: a pid is used again once
/// reaped, and a container can make thousands of orphans. Exits nobody waits for yet are kept,
/// one per pid, until their waiter comes or they are a minute old, so a storm of orphans can
/// neither grow the shim for good nor push out the exit of a process whose waiter is on its way.
public final class Reaper: Sendable {
    private struct Waiter {
        let since: UInt64
        let continuation: CheckedContinuation<ExitStatus, Never>
    }

    private struct Exit {
        let status: ExitStatus
        let number: UInt64
        let reapedAt: UInt64
    }

    private struct State {
        var waiters: [Int32: [Waiter]] = [:]
        var unclaimed: [Int32: Exit] = [:]
        var reaped: UInt64 = 0
        var nextSweep: UInt64 = 0
    }

    static let unclaimedLifetimeNanos: UInt64 = 60_000_000_000

    private let state = Mutex(State())
    private let log: ShimLog

    public init(log: ShimLog) {
        self.log = log
    }

    /// Called on SIGCHLD: collects every child that has exited.
    public func reap() {
        while let (pid, status) = ProcessControl.reapAny() {
            let now = Clock.monotonicNanos
            let waiters = state.withLock { s -> [Waiter] in
                s.reaped += 1
                let number = s.reaped
                let waiting = s.waiters[pid] ?? []
                let mine = waiting.filter { $0.since < number }
                if mine.isEmpty {
                    s.unclaimed[pid] = Exit(status: status, number: number, reapedAt: now)
                    if s.unclaimed.count > 1024 && now >= s.nextSweep {
                        s.unclaimed = s.unclaimed.filter { now &- $0.value.reapedAt < Self.unclaimedLifetimeNanos }
                        s.nextSweep = now &+ 1_000_000_000
                    }
                } else {
                    let rest = waiting.filter { $0.since >= number }
                    s.waiters[pid] = rest.isEmpty ? nil : rest
                }
                return mine
            }
            log(.debug, "reaped pid \(pid): \(status)")
            waiters.forEach { $0.continuation.resume(returning: status) }
        }
    }

    /// The number of the last exit reaped: take it before starting a process to wait for.
    public func mark() -> UInt64 {
        state.withLock { $0.reaped }
    }

    /// Waits for `pid` to exit, with an exit reaped after `since` (see `mark`).
    public func wait(for pid: Int32, since: UInt64) async -> ExitStatus {
        await withCheckedContinuation { continuation in
            let done = state.withLock { s -> ExitStatus? in
                if let exit = s.unclaimed[pid], exit.number > since {
                    s.unclaimed[pid] = nil
                    return exit.status
                }
                s.waiters[pid, default: []].append(Waiter(since: since, continuation: continuation))
                return nil
            }
            if let done { continuation.resume(returning: done) }
        }
    }

    /// How the shim's commands (runc, CNI plugins) wait for their processes.
    public var childWaiter: ChildWaiter {
        ChildWaiter(mark: { [self] in mark() }, wait: { [self] pid, since in await wait(for: pid, since: since) })
    }

    public var reapedCount: UInt64 { state.withLock { $0.reaped } }
    public var unclaimedCount: Int { state.withLock { $0.unclaimed.count } }
}
