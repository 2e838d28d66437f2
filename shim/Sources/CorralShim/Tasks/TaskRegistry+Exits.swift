import CorralSystem
import ShimAPI
import ShimContract
import TTRPC

/// What happens when a task's process exits: its status recorded, its runtime state released, waiters woken.
extension TaskRegistry {
    /// `since`: the reaper's mark from before the process was started.
    func watchExit(_ key: TaskKey, pid: Int32, since: UInt64) {
        let reaper = shim.reaper
        Task {
            let status = await reaper.wait(for: pid, since: since)
            await processExited(key, status)
        }
    }

    func processExited(_ key: TaskKey, _ status: ExitStatus) async {
        // Everything the process wrote is in the log (and with attached clients) before anyone
        // hears it ended; then the clients' FIFOs close, if their pumps did not already.
        await ios[key]?.waitDrained(timeout: .seconds(2))
        ios[key]?.detachAll()
        let oom = key.execID.isEmpty ? (await oomWatches[key.id]?.value.oomKilled() ?? false) : false
        var signal: Int32?
        if case .signaled(let s) = status { signal = s }
        let exit = ExitRecord(status: UInt32(bitPattern: status.code), exitedAtWallNanos: Clock.wallNanos,
                              oomKilled: oom, signal: signal)
        do {
            try exit.write(to: taskDir(key) + "/exit.json")
        } catch {
            shim.log(.error, "persisting the exit of \(key): \(error)")
        }
        records[key]?.status = .stopped
        records[key]?.exit = exit
        try? persist(key)
        if key.execID.isEmpty {
            await oomWatches[key.id]?.value.stop()
            releases[key.id] = Task { await self.releaseRuntime(key.id) }
        }
        shim.log(.info, "task \(key) exited: \(status)\(oom ? " (OOM killed)" : "")")
        shim.events.publish(topic: "/tasks/exit") {
            $0.taskExit = .with {
                $0.containerID = key.id
                $0.execID = key.execID
                $0.pid = UInt32(records[key]?.pid ?? 0)
                $0.exitStatus = exit.status
                $0.exitedAt = .init(wallNanos: exit.exitedAtWallNanos)
                $0.oomKilled = oom
            }
        }
        exits[key]?.open()
    }

    /// `runc delete` (which also ends whatever still runs in the container's cgroup) and the
    /// rootfs unmount.
    func releaseRuntime(_ id: String, force: Bool = false) async {
        guard let record = records[TaskKey(id: id, execID: "")] else { return }
        do {
            try await inTurn(record) { try await $0.delete(id: id, force: force) }
        } catch {
            shim.log(.warning, "runtime delete of \(id): \(error)")
        }
        if mountedRootfs.remove(id) != nil {
            // Off the actor: an unmount waits for an RCU grace period after the mount lock is
            // released, and the releases of a pod's containers can share one.
            let rootfs = record.bundle + "/rootfs"
            _ = await BlockingWork.run { Mounts.unmount(rootfs) }
            try? persist(record.key)
        }
    }

    func recordOOM(_ id: String) {
        shim.log(.warning, "task \(id): OOM event in its cgroup")
        shim.events.publish(topic: "/tasks/oom") { $0.taskOom = .with { $0.containerID = id } }
    }

    func wait(_ request: Corral_Shim_V1_WaitTaskRequest) async throws(RPCError) -> Corral_Shim_V1_WaitTaskResponse {
        let record = try record(request.id, request.execID)
        if let latch = exits[record.key] { await latch.wait() }
        guard let exit = records[record.key]?.exit ?? record.exit else {
            throw RPCError(.notFound, "\(record.key) was deleted while waiting")
        }
        var response = Corral_Shim_V1_WaitTaskResponse()
        response.exitStatus = exit.status
        response.exitedAt = .init(wallNanos: exit.exitedAtWallNanos)
        response.oomKilled = exit.oomKilled
        response.reason = exit.reason
        return response
    }
}
