import CorralSystem
import ShimAPI
import ShimCgroups
import TTRPC

/// State, pids, resources, terminal size, stdin and log reopening of live tasks.
extension TaskRegistry {
    func state(_ request: Corral_Shim_V1_TaskStateRequest) throws(RPCError) -> Corral_Shim_V1_TaskStateResponse {
        let record = try record(request.id, request.execID)
        var response = Corral_Shim_V1_TaskStateResponse()
        response.id = record.id
        response.execID = record.execID
        response.bundle = record.bundle
        response.pid = UInt32(record.pid)
        response.status = record.status
        response.stdin = record.stdin
        response.terminal = record.terminal
        response.stdout = record.logPath
        response.createdAt = .init(wallNanos: record.createdAtWallNanos)
        if record.startedAtWallNanos > 0 { response.startedAt = .init(wallNanos: record.startedAtWallNanos) }
        if let exit = record.exit {
            response.exitStatus = exit.status
            response.exitedAt = .init(wallNanos: exit.exitedAtWallNanos)
            response.oomKilled = exit.oomKilled
            response.reason = exit.reason
        }
        return response
    }

    func pids(_ request: Corral_Shim_V1_PidsRequest) async throws(RPCError) -> Corral_Shim_V1_PidsResponse {
        let record = try record(request.id)
        // Its runtime state is released once it exits.
        guard record.status != .stopped else { return Corral_Shim_V1_PidsResponse() }
        let pids: [Int32]
        do {
            pids = try await runtime(of: record).ps(id: record.id)
        } catch {
            throw RPCError(.unknown, "\(error)")
        }
        let execs = Dictionary(records.values.filter { $0.id == record.id && !$0.execID.isEmpty }.map { ($0.pid, $0.execID) },
                               uniquingKeysWith: { first, _ in first })
        var response = Corral_Shim_V1_PidsResponse()
        response.processes = pids.map { pid in .with { $0.pid = UInt32(pid); $0.execID = execs[pid] ?? "" } }
        return response
    }

    func update(_ request: Corral_Shim_V1_UpdateTaskRequest) async throws(RPCError) {
        let record = try record(request.id)
        let path = taskDir(record.key) + "/resources.json"
        do {
            try FileSystem.writeAtomically(path, Array(request.resources))
            try await runtime(of: record).update(id: record.id, resources: path)
        } catch {
            throw RPCError(from: error, doing: "updating task \(record.id)")
        }
    }

    func resize(_ request: Corral_Shim_V1_ResizePtyRequest) throws(RPCError) {
        let record = try record(request.id, request.execID)
        // A resize for a process without a terminal is ignored, as kubelet expects.
        ios[record.key]?.resize(rows: UInt16(clamping: request.height), columns: UInt16(clamping: request.width))
    }

    func closeIO(_ request: Corral_Shim_V1_CloseIORequest) throws(RPCError) {
        let record = try record(request.id, request.execID)
        if request.stdin { ios[record.key]?.closeStdin() }
    }

    func reopenLog(_ request: Corral_Shim_V1_ReopenLogRequest) throws(RPCError) {
        let record = try record(request.id)
        do {
            try ios[record.key]?.reopenLog()
        } catch {
            throw RPCError(.internal, "reopening the log of \(record.id): \(error)")
        }
    }

    /// The running container's cgroup files, found at its first stats call: a container's cgroup
    /// stays where it is while it runs, and finding it (mountinfo, /proc/PID/cgroup) cost each
    /// of kubelet's stats calls more than reading the counters did.
    func cgroupPaths(_ id: String) throws(RPCError) -> CgroupPaths {
        let record = try record(id)
        guard record.status != .stopped, record.pid > 0 else {
            throw RPCError(.failedPrecondition, "task \(id) is not running")
        }
        if let known = containerCgroups[id] { return known }
        guard let paths = (try? CgroupLayout.current()).flatMap({ try? $0.paths(ofProcess: record.pid) }) else {
            throw RPCError(.notFound, "no cgroup found for task \(id)")
        }
        containerCgroups[id] = paths
        return paths
    }
}
