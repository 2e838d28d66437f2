import CorralSystem
import ShimAPI
import ShimIO
import TTRPC

/// Create and Start: a container through the OCI runtime, an exec through the shim (or the runtime).
extension TaskRegistry {
    func create(_ request: Corral_Shim_V1_CreateTaskRequest) async throws(RPCError) -> Corral_Shim_V1_CreateTaskResponse {
        guard !request.id.isEmpty else { throw RPCError(.invalidArgument, "id is empty") }
        guard !request.bundle.isEmpty else { throw RPCError(.invalidArgument, "bundle of task \(request.id) is empty") }
        guard FileSystem.exists(request.bundle + "/config.json") else {
            throw RPCError(.invalidArgument, "bundle \(request.bundle) has no config.json")
        }
        let key = TaskKey(id: request.id, execID: "")
        guard records[key] == nil else { throw RPCError(.alreadyExists, "task \(request.id) already exists") }
        var record = TaskRecord(id: request.id, bundle: request.bundle, runtimeBinary: request.runtimePath.isEmpty ? "runc" : request.runtimePath)
        record.runtimeRoot = request.runtimeRoot
        record.systemdCgroup = systemdCgroup
        record.terminal = request.terminal
        record.stdin = request.stdin
        record.logPath = request.logPath
        records[key] = record  // reserves the id while the runtime works

        do {
            let pid = try await createContainer(request, key: key)
            records[key]?.pid = pid
            try? persist(key)
            shim.events.publish(topic: "/tasks/create") {
                $0.taskCreate = .with { $0.containerID = request.id; $0.bundle = request.bundle; $0.pid = UInt32(pid) }
            }
            shim.log(.info, "created task \(request.id), pid \(pid)")
            var response = Corral_Shim_V1_CreateTaskResponse()
            response.pid = UInt32(pid)
            return response
        } catch {
            records[key] = nil
            throw error
        }
    }

    func createContainer(_ request: Corral_Shim_V1_CreateTaskRequest, key: TaskKey) async throws(RPCError) -> Int32 {
        let dir = taskDir(key)
        do {
            try FileSystem.makeDirectories(dir, mode: 0o700)
        } catch {
            throw RPCError(.internal, "\(error)")
        }
        let rootfs = request.bundle + "/rootfs"
        var mounted = false
        var io: ContainerIO?
        var console: ConsoleSocket?
        var childEnds: ContainerIO.ChildEnds?
        func undo() {
            childEnds?.close()
            io?.close()
            console?.close()
            if mounted { Mounts.unmount(rootfs) }
            FileSystem.removeTree(dir)
        }
        do {
            if !request.rootfs.isEmpty {
                try RootfsMounts.mount(request.rootfs, at: rootfs)
                mounted = true
            }
            let stdio: Spawn.Stdio
            if request.terminal {
                io = try ContainerIO.terminal(logPath: request.logPath, stdinOnce: request.stdinOnce)
                console = try ConsoleSocket(path: shim.paths.consoleSocket(for: key.description))
                stdio = .init()
            } else {
                let (pipes, ends) = try ContainerIO.pipes(logPath: request.logPath, stdin: request.stdin,
                                                          stdinOnce: request.stdinOnce)
                io = pipes
                childEnds = ends
                stdio = ends.stdio
            }
            let pidFile = dir + "/pid"
            let mark = shim.reaper.mark()
            try await runtime(for: request.runtimePath, root: request.runtimeRoot, systemdCgroup: systemdCgroup).create(
                id: request.id, bundle: request.bundle, pidFile: pidFile, consoleSocket: console?.path, stdio: stdio)
            childEnds?.close()
            childEnds = nil
            if let console, let io {
                io.receiveTerminal(try console.receiveMaster(), stdin: request.stdin)
                console.close()
                try io.startOutput()
            }
            guard let pid = Int32((try FileSystem.readText(pidFile)).trimmingTrailingNewlines), pid > 0 else {
                throw RPCError(.internal, "runtime wrote no pid for task \(request.id)")
            }
            if mounted { mountedRootfs.insert(request.id) }
            if let io { ios[key] = io }
            exits[key] = Latch()
            oomWatches[request.id] = Task.detached { [weak self] in
                ContainerMemoryWatch(pid: pid) { [weak self] in
                    Task { await self?.recordOOM(request.id) }
                }
            }
            watchExit(key, pid: pid, since: mark)
            return pid
        } catch {
            undo()
            throw RPCError(from: error, doing: "creating task \(request.id)")
        }
    }

    func start(_ request: Corral_Shim_V1_StartTaskRequest) async throws(RPCError) -> Corral_Shim_V1_StartTaskResponse {
        var record = try record(request.id, request.execID)
        guard record.status == .created else {
            throw RPCError(.failedPrecondition, "\(record.key) is \(record.status), not created")
        }
        if record.execID.isEmpty {
            _ = await oomWatches[record.id]?.value
            do {
                let id = record.id
                try await inTurn(record) { try await $0.start(id: id) }
            } catch {
                throw RPCError(.unknown, "\(error)")
            }
        } else {
            try await startExec(record.key)
        }
        record = records[record.key] ?? record
        // The process may already have exited and been recorded as stopped.
        if record.status == .created {
            record.status = .running
        }
        record.startedAtWallNanos = Clock.wallNanos
        records[record.key] = record
        // Nothing `delete` needs changed since Create persisted the task.
        if record.execID.isEmpty {
            shim.events.publish(topic: "/tasks/start") {
                $0.taskStart = .with { $0.containerID = record.id; $0.pid = UInt32(record.pid) }
            }
        }
        var response = Corral_Shim_V1_StartTaskResponse()
        response.pid = UInt32(record.pid)
        response.startedAt = .init(wallNanos: record.startedAtWallNanos)
        return response
    }
}
