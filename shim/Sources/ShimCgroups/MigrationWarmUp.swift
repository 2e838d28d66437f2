import CorralSystem

#if canImport(Glibc)
import Glibc
#endif

/// Moving a process into a cgroup by pid (what `runc create` and `runc exec` do) takes the
/// kernel's cgroup migration lock for writing, and the first writer after a quiet spell waits for
/// an RCU grace period: 10–20 ms here, most of the time `runc create` spends in the kernel.
/// Writers that come while one waits share its wait, and for about a grace period after the last
/// writer leaves, new ones wait for nothing. So, just before starting a runtime that will move a
/// process, the shim moves itself into the cgroup it already is in (a no-op migration) on a
/// thread of its own: the grace period then runs while the runtime starts up rather than after.
public enum MigrationWarmUp {
    /// The shim's own cgroup.procs in one hierarchy; nil when none can be found (nothing to do).
    static let ownProcs: String? = {
        guard let layout = try? CgroupLayout.current(), let own = try? layout.paths(ofProcess: getpid()) else { return nil }
        return own.allDirectories.first.map { $0 + "/cgroup.procs" }
    }()

    public static func start() {
        guard let path = ownProcs else { return }
        BlockingWork.start {
            guard let fd = try? FileDescriptor.open(path, O_WRONLY | O_CLOEXEC) else { return }
            try? fd.writeAll("\(getpid())")
            fd.close()
        }
    }
}
