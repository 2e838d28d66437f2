import CorralSystem
import ShimCgroups

/// A container's memory cgroup, watched for OOM events from creation on. Whether an exit was
/// an OOM kill is the cgroup's oom_kill counter having risen, as containerd decides it.
final class ContainerMemoryWatch: Sendable {
    let paths: CgroupPaths?
    private let baseline: UInt64
    private let watcher: OOMWatcher?

    init(pid: Int32, onOOM: @escaping @Sendable () -> Void) {
        let paths = (try? CgroupLayout.current()).flatMap { try? $0.paths(ofProcess: pid) }
        self.paths = paths
        baseline = paths?.oomKillCount() ?? 0
        watcher = paths.flatMap { try? OOMWatcher(paths: $0, handler: onOOM) }
    }

    func oomKilled() -> Bool {
        (paths?.oomKillCount() ?? 0) > baseline
    }

    func stop() {
        watcher?.stop()
    }
}
