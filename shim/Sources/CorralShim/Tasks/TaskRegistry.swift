import CorralJSON
import CorralSystem
import ShimAPI
import ShimCgroups
import ShimContract
import TTRPC

/// Every container and exec of the pod, and the one place their state changes.
actor TaskRegistry {
    let shim: ShimContext
    var records: [TaskKey: TaskRecord] = [:]
    var ios: [TaskKey: ContainerIO] = [:]
    var exits: [TaskKey: Latch] = [:]
    var mountedRootfs: Set<String> = []
    /// Set up beside the Create call rather than in it: finding the container's memory cgroup
    /// (mountinfo, /proc/PID/cgroup, oom_control) costs a fresh shim most of a millisecond of
    /// parsing. Start waits for it, so the baseline is read before the container's program runs.
    var oomWatches: [String: Task<ContainerMemoryWatch, Never>] = [:]
    /// Execs added without sync, waiting for Start.
    var pendingExecs: [TaskKey: Corral_Shim_V1_ExecProcessRequest] = [:]
    /// Containers whose runtime state (runc's record, cgroups, rootfs mount) is being released
    /// since they exited, as containerd deletes a task when it exits: Delete waits for this
    /// instead of doing it, so removing a stopped pod has less left to do.
    var releases: [String: Task<Void, Never>] = [:]
    /// What each container's execs share, read at its first exec.
    var execContainers: [String: DirectExec.Container] = [:]
    /// Containers being checkpointed: one checkpoint at a time, since each pauses and resumes it.
    var checkpointing: Set<String> = []
    /// Each running container's cgroup files (see `cgroupPaths`).
    var containerCgroups: [String: CgroupPaths] = [:]
    /// The pod's cgroup driver is systemd's: every runtime call gets `--systemd-cgroup`.
    var systemdCgroup = false
    /// The runtime's kills, starts and deletes of each container, one at a time.
    let turns = ContainerTurns()

    init(shim: ShimContext) {
        self.shim = shim
    }

    var all: [TaskRecord] { records.values.sorted { ($0.id, $0.execID) < ($1.id, $1.execID) } }
    var hasLiveTasks: Bool { records.values.contains { $0.status == .running || $0.status == .created } }

    func runtime(for binary: String, root: String = "", systemdCgroup: Bool = false) -> OCIRuntime {
        OCIRuntime(binary: binary.isEmpty ? "runc" : binary, root: root.isEmpty ? shim.paths.runtimeRoot : root,
                   systemdCgroup: systemdCgroup, waiter: shim.reaper.childWaiter)
    }

    /// Set once, when the pod is created, before any container.
    func useSystemdCgroup(_ enabled: Bool) {
        systemdCgroup = enabled
    }

    /// The runtime that created the task: its binary, with its `--root`.
    func runtime(of record: TaskRecord) -> OCIRuntime {
        runtime(for: record.runtimeBinary, root: record.runtimeRoot, systemdCgroup: record.systemdCgroup)
    }

    /// One runtime command on the container, in its turn (see `ContainerTurns`).
    func inTurn(_ record: TaskRecord, _ command: @escaping @Sendable (OCIRuntime) async throws -> Void) async throws {
        let runtime = runtime(of: record)
        let failure = await turns.run(record.id) { () -> (any Error)? in
            do { try await command(runtime) } catch { return error }
            return nil
        }
        if let failure { throw failure }
    }

    func taskDir(_ key: TaskKey) -> String {
        shim.paths.task(key.id, exec: key.execID)
    }

    func record(_ id: String, _ execID: String = "") throws(RPCError) -> TaskRecord {
        guard let record = records[TaskKey(id: id, execID: execID)] else {
            throw RPCError(.notFound, execID.isEmpty ? "task \(id) not found" : "exec \(execID) of task \(id) not found")
        }
        return record
    }

    // MARK: persistence

    /// What `corral-shim delete` needs after this shim is gone: ids, pids, bundles, runtime.
    func persist(_ key: TaskKey) throws {
        guard let record = records[key] else { return }
        try TaskFile(id: record.id, execID: record.execID, pid: record.pid, bundle: record.bundle,
                     runtime: record.runtimeBinary, runtimeRoot: record.runtimeRoot,
                     rootfsMounted: mountedRootfs.contains(record.id), systemdCgroup: record.systemdCgroup)
            .write(to: taskDir(key) + "/task.json")
    }
}

extension RPCError {
    /// The status a failed step answers: its own if it has one, UNKNOWN with the runtime's
    /// message when the OCI runtime refused (as containerd reports runc's errors), else INTERNAL.
    init(from error: any Error, doing what: String) {
        switch error {
        case let error as RPCError: self = error
        case let error as OCIRuntime.Failure: self.init(.unknown, "\(error)")
        default: self.init(.internal, "\(what): \(error)")
        }
    }
}
