#if canImport(Glibc)
import Glibc
#endif

/// Who collects a child's exit status. A process that runs a reaper (the shim) waits through it,
/// so no status is ever taken twice; anything else waits with a plain waitpid.
///
/// A reaper hears the exits of orphans too, and a pid is used again once its process is
/// reaped: `mark` is taken before a child is started, and `wait` only accepts an exit reaped
/// after it, so a child never gets the status of an earlier process that had its pid.
public struct ChildWaiter: Sendable {
    public let mark: @Sendable () -> UInt64
    public let wait: @Sendable (_ pid: pid_t, _ since: UInt64) async -> ExitStatus

    public init(mark: @escaping @Sendable () -> UInt64,
                wait: @escaping @Sendable (_ pid: pid_t, _ since: UInt64) async -> ExitStatus) {
        self.mark = mark
        self.wait = wait
    }

    /// waitpid on a thread of its own: for processes that run no reaper.
    public static let blocking = ChildWaiter(mark: { 0 }) { pid, _ in
        await BlockingWork.run { (try? ProcessControl.wait(for: pid)) ?? .exited(-1) }
    }
}
