import CorralSystem
import ShimCgroups
import Synchronization

/// A container's memory cgroup, watched for OOM events from creation on. Whether an exit was
/// an OOM kill is the cgroup's oom_kill counter having risen, as containerd decides it.
///
/// With the systemd driver the container's cgroup is a scope's, which systemd removes as soon
/// as its last process is gone, often before the shim reads the verdict. So an OOM the watch
/// saw is remembered, and a cgroup gone by then is judged by its nearest slice (or parent),
/// whose memory.events counts the kills below it: the counter a container's cgroup takes along.
final class ContainerMemoryWatch: Sendable {
    let paths: CgroupPaths?
    private let baseline: UInt64
    private let ancestor: CgroupPaths?
    private let ancestorBaseline: UInt64
    private let seen = SeenFlag()
    private let watcher: OOMWatcher?

    init(pid: Int32, onOOM: @escaping @Sendable () -> Void) {
        let paths = (try? CgroupLayout.current()).flatMap { try? $0.paths(ofProcess: pid) }
        self.paths = paths
        baseline = paths?.oomKillCount() ?? 0
        ancestor = paths?.stableAncestor()
        ancestorBaseline = ancestor?.oomKillCount() ?? 0
        let seen = self.seen
        watcher = paths.flatMap {
            try? OOMWatcher(paths: $0) {
                seen.value.store(true, ordering: .relaxed)
                onOOM()
            }
        }
    }

    func oomKilled() -> Bool {
        if seen.value.load(ordering: .relaxed) { return true }
        guard let paths else { return false }
        if paths.exists { return paths.oomKillCount() > baseline }
        return (ancestor?.oomKillCount() ?? 0) > ancestorBaseline
    }

    func stop() {
        watcher?.stop()
    }
}

/// Set once the watch has seen an OOM kill in the container's cgroup.
private final class SeenFlag: Sendable {
    let value = Atomic<Bool>(false)
}
