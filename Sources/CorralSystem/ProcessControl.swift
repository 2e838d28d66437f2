#if canImport(Glibc)
import Glibc
#endif
import CCorral

/// prctl and friends, for the process calling them.
public enum ProcessControl {
    /// Orphans in our subtree are reparented to us, so we reap them instead of init.
    public static func becomeChildSubreaper() throws(SystemError) {
        guard ccorral_set_child_subreaper() == 0 else { throw SystemError("prctl(PR_SET_CHILD_SUBREAPER)") }
    }

    public static func setName(_ name: String) {
        _ = ccorral_set_name(String(name.prefix(15)))
    }

    public static var pid: pid_t { getpid() }

    public static var effectiveUserID: uid_t { geteuid() }

    /// True while `pid` names a process we may signal (zombies included).
    public static func isAlive(_ pid: pid_t) -> Bool {
        kill(pid, 0) == 0 || errno == EPERM
    }

    /// Alive and not a zombie: an exited process whose parent has not reaped it yet (a
    /// daemonized shim's parent is init, which may take its time) still answers kill(pid, 0).
    public static func isRunning(_ pid: pid_t) -> Bool {
        guard let stat = try? FileSystem.readText("/proc/\(pid)/stat"),
              let close = stat.lastIndex(of: ")") else { return false }
        let state = stat[stat.index(after: close)...].drop { $0 == " " }.first
        return state != "Z" && state != "X"
    }

    /// Waits up to `timeout` for `pid` (any process, not only a child) to stop running; whether
    /// it did. Through a pidfd, which becomes readable the moment the process exits, rather
    /// than by polling; by polling where pidfds are missing.
    public static func waitUntilGone(_ pid: pid_t, timeout: Duration) async -> Bool {
        let fd = ccorral_pidfd_open(pid)
        guard fd >= 0 else {
            let deadline = ContinuousClock.now + timeout
            while isRunning(pid), ContinuousClock.now < deadline { try? await Task.sleep(for: .milliseconds(10)) }
            return !isRunning(pid)
        }
        let milliseconds = Int32(clamping: timeout.nanoseconds / 1_000_000)
        return await BlockingWork.run {
            defer { close(fd) }
            var entry = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            while true {
                let ready = poll(&entry, 1, milliseconds)
                if ready < 0 && errno == EINTR { continue }
                return ready > 0
            }
        }
    }

    public static func signal(_ pid: pid_t, _ signal: Int32) throws(SystemError) {
        guard kill(pid, signal) == 0 else { throw SystemError("kill", "\(pid)") }
    }

    /// Waits for one child without blocking; nil when none has exited.
    public static func reapAny() -> (pid: pid_t, status: ExitStatus)? {
        var status: Int32 = 0
        let pid = waitpid(-1, &status, WNOHANG)
        guard pid > 0 else { return nil }
        return (pid, ExitStatus(waitStatus: status))
    }

    /// Blocks until `pid` exits. Only for processes that no reaper is watching.
    public static func wait(for pid: pid_t) throws(SystemError) -> ExitStatus {
        var status: Int32 = 0
        try retryingOnInterrupt("waitpid", "\(pid)") { Int(waitpid(pid, &status, 0)) }
        return ExitStatus(waitStatus: status)
    }
}
