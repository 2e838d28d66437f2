#if canImport(FoundationEssentials)
import FoundationEssentials  // Data, for protobuf bytes fields
#endif
import CorralJSON
import CorralSystem
import ShimAPI
import ShimIO
import SwiftProtobuf
import TTRPC

#if canImport(Glibc)
import Glibc
#endif

/// Every container and exec of the pod, and the one place their state changes.
actor TaskRegistry {
    let shim: ShimContext
    private var records: [TaskKey: TaskRecord] = [:]
    private var ios: [TaskKey: ContainerIO] = [:]
    private var exits: [TaskKey: Latch] = [:]
    private var mountedRootfs: Set<String> = []
    /// Set up beside the Create call rather than in it: finding the container's memory cgroup
    /// (mountinfo, /proc/PID/cgroup, oom_control) costs a fresh shim most of a millisecond of
    /// parsing. Start waits for it, so the baseline is read before the container's program runs.
    private var oomWatches: [String: Task<ContainerMemoryWatch, Never>] = [:]
    /// Execs added without sync, waiting for Start.
    private var pendingExecs: [TaskKey: Corral_Shim_V1_ExecProcessRequest] = [:]
    /// Containers whose runtime state (runc's record, cgroups, rootfs mount) is being released
    /// since they exited, as containerd deletes a task when it exits: Delete waits for this
    /// instead of doing it, so removing a stopped pod has less left to do.
    private var releases: [String: Task<Void, Never>] = [:]
    /// What each container's execs share, read at its first exec.
    var execContainers: [String: DirectExec.Container] = [:]

    init(shim: ShimContext) {
        self.shim = shim
    }

    var all: [TaskRecord] { records.values.sorted { ($0.id, $0.execID) < ($1.id, $1.execID) } }
    var hasLiveTasks: Bool { records.values.contains { $0.status == .running || $0.status == .created } }

    func runtime(for binary: String) -> OCIRuntime {
        OCIRuntime(binary: binary.isEmpty ? "runc" : binary, root: shim.paths.stateDir + "/runtime",
                   waiter: { [reaper = shim.reaper] pid in await reaper.wait(for: pid) })
    }

    func taskDir(_ key: TaskKey) -> String {
        shim.paths.stateDir + "/tasks/" + (key.execID.isEmpty ? key.id : key.id + "@" + key.execID)
    }

    private func record(_ id: String, _ execID: String = "") throws(RPCError) -> TaskRecord {
        guard let record = records[TaskKey(id: id, execID: execID)] else {
            throw RPCError(.notFound, execID.isEmpty ? "task \(id) not found" : "exec \(execID) of task \(id) not found")
        }
        return record
    }

    // MARK: create and start

    func create(_ request: Corral_Shim_V1_CreateTaskRequest) async throws(RPCError) -> Corral_Shim_V1_CreateTaskResponse {
        guard !request.id.isEmpty else { throw RPCError(.invalidArgument, "id is empty") }
        guard !request.bundle.isEmpty else { throw RPCError(.invalidArgument, "bundle of task \(request.id) is empty") }
        guard FileSystem.exists(request.bundle + "/config.json") else {
            throw RPCError(.invalidArgument, "bundle \(request.bundle) has no config.json")
        }
        let key = TaskKey(id: request.id, execID: "")
        guard records[key] == nil else { throw RPCError(.alreadyExists, "task \(request.id) already exists") }
        var record = TaskRecord(id: request.id, bundle: request.bundle, runtimeBinary: request.runtimePath.isEmpty ? "runc" : request.runtimePath)
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

    private func createContainer(_ request: Corral_Shim_V1_CreateTaskRequest, key: TaskKey) async throws(RPCError) -> Int32 {
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
            try await runtime(for: request.runtimePath).create(
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
            watchExit(key, pid: pid)
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
                try await runtime(for: record.runtimeBinary).start(id: record.id)
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

    // MARK: exits

    private func watchExit(_ key: TaskKey, pid: Int32) {
        let reaper = shim.reaper
        Task {
            let status = await reaper.wait(for: pid)
            await processExited(key, status)
        }
    }

    private func processExited(_ key: TaskKey, _ status: ExitStatus) async {
        // Everything the process wrote is in the log (and with attached clients) before anyone
        // hears it ended; then the clients' FIFOs close, if their pumps did not already.
        await ios[key]?.waitDrained(timeout: .seconds(2))
        ios[key]?.detachAll()
        let oom = key.execID.isEmpty ? (await oomWatches[key.id]?.value.oomKilled() ?? false) : false
        var signal: Int32?
        if case .signaled(let s) = status { signal = s }
        let exit = ExitRecord(status: UInt32(bitPattern: status.code), exitedAtWallNanos: Clock.wallNanos,
                              oomKilled: oom, signal: signal)
        try? FileSystem.writeAtomically(taskDir(key) + "/exit.json", Array(exit.json.utf8))
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
    private func releaseRuntime(_ id: String, force: Bool = false) async {
        guard let record = records[TaskKey(id: id, execID: "")] else { return }
        do {
            try await runtime(for: record.runtimeBinary).delete(id: id, force: force)
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

    private func recordOOM(_ id: String) {
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

    // MARK: signals and removal

    func kill(_ request: Corral_Shim_V1_KillTaskRequest) async throws(RPCError) {
        let record = try record(request.id, request.execID)
        guard record.status != .stopped else { return }  // already ended: nothing to signal
        let signal = request.signal == 0 ? SIGKILL : Int32(request.signal)
        if record.execID.isEmpty {
            do {
                try await runtime(for: record.runtimeBinary).kill(id: record.id, signal: signal, all: request.all)
            } catch {
                // It may have exited between the check and the call.
                if records[record.key]?.status == .stopped { return }
                throw RPCError(.unknown, "\(error)")
            }
        } else if record.pid > 0 {
            Glibc.kill(record.pid, signal)
        }
    }

    func delete(_ request: Corral_Shim_V1_DeleteTaskRequest) async throws(RPCError) -> Corral_Shim_V1_DeleteTaskResponse {
        let record = try record(request.id, request.execID)
        guard record.status != .running else {
            throw RPCError(.failedPrecondition, "\(record.key) is running; kill it before deleting it")
        }
        if record.execID.isEmpty {
            // Execs go with their container.
            for exec in records.values where exec.id == record.id && !exec.execID.isEmpty {
                if exec.status == .running, exec.pid > 0 { Glibc.kill(exec.pid, SIGKILL) }
                forget(exec.key)
            }
            if let release = releases.removeValue(forKey: record.id) {
                await release.value
            } else {
                await releaseRuntime(record.id, force: record.status == .created)
            }
            await oomWatches.removeValue(forKey: record.id)?.value.stop()
        }
        forget(record.key)
        shim.events.publish(topic: "/tasks/delete") {
            $0.taskDelete = .with {
                $0.containerID = record.id
                $0.execID = record.execID
                $0.pid = UInt32(record.pid)
                $0.exitStatus = record.exit?.status ?? 0
                if let exit = record.exit { $0.exitedAt = .init(wallNanos: exit.exitedAtWallNanos) }
            }
        }
        var response = Corral_Shim_V1_DeleteTaskResponse()
        response.pid = UInt32(record.pid)
        response.exitStatus = record.exit?.status ?? 0
        if let exit = record.exit { response.exitedAt = .init(wallNanos: exit.exitedAtWallNanos) }
        return response
    }

    private func forget(_ key: TaskKey) {
        pendingExecs.removeValue(forKey: key)
        ios.removeValue(forKey: key)?.close()
        exits.removeValue(forKey: key)?.open()
        records.removeValue(forKey: key)
        if key.execID.isEmpty { execContainers.removeValue(forKey: key.id) }
        FileSystem.removeTree(taskDir(key))
    }

    /// SIGTERM to every container, SIGKILL to those still up after `grace`.
    func stopAll(grace: Duration) async {
        let running = records.values.filter { $0.execID.isEmpty && $0.status != .stopped }
        for record in running {
            let signal = record.status == .created ? SIGKILL : SIGTERM
            try? await kill(.with { $0.id = record.id; $0.signal = UInt32(signal); $0.all = true })
        }
        for record in running {
            if let latch = exits[record.key], await !latch.wait(timeout: grace) {
                try? await kill(.with { $0.id = record.id; $0.signal = UInt32(SIGKILL); $0.all = true })
                await latch.wait(timeout: .seconds(5))
            }
        }
    }

    /// Force-removes every task (for shutdown).
    func removeAll() async {
        await stopAll(grace: .zero)
        for record in records.values where record.execID.isEmpty {
            _ = try? await delete(.with { $0.id = record.id })
        }
    }

    // MARK: inspection and changes

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
            pids = try await runtime(for: record.runtimeBinary).ps(id: record.id)
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
            try await runtime(for: record.runtimeBinary).update(id: record.id, resources: path)
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

    func cgroupPID(_ id: String) throws(RPCError) -> Int32 {
        let record = try record(id)
        guard record.status != .stopped, record.pid > 0 else {
            throw RPCError(.failedPrecondition, "task \(id) is not running")
        }
        return record.pid
    }

    // MARK: exec

    func exec(_ request: Corral_Shim_V1_ExecProcessRequest) async throws(RPCError) -> Corral_Shim_V1_ExecProcessResponse {
        let container = try record(request.id)
        guard container.status == .running else {
            throw RPCError(.failedPrecondition, "task \(request.id) is not running")
        }
        guard !request.execID.isEmpty else { throw RPCError(.invalidArgument, "exec_id is empty") }
        let key = TaskKey(id: request.id, execID: request.execID)
        guard records[key] == nil else { throw RPCError(.alreadyExists, "exec \(request.execID) of task \(request.id) already exists") }
        guard !request.spec.isEmpty else { throw RPCError(.invalidArgument, "spec of exec \(request.execID) is empty") }
        guard request.sync else { return try addExec(request, key: key, container: container) }
        var record = TaskRecord(id: request.id, execID: request.execID, bundle: container.bundle, runtimeBinary: container.runtimeBinary)
        records[key] = record
        shim.events.publish(topic: "/tasks/exec-added") {
            $0.taskExecAdded = .with { $0.containerID = request.id; $0.execID = request.execID }
        }
        let dir = taskDir(key)
        let limit = request.outputLimit > 0 ? Int(clamping: request.outputLimit) : 16 << 20
        var pipes: [FileDescriptor] = []
        do {
            try FileSystem.makeDirectories(dir, mode: 0o700)
            let out = try FileDescriptor.pipe()
            pipes += [out.read, out.write]
            let err = try FileDescriptor.pipe()
            pipes += [err.read, err.write]
            let stdout = OutputCapture(reading: out.read, limit: limit)
            let stderr = OutputCapture(reading: err.read, limit: limit)
            pipes = [out.write, err.write]
            let exited = Latch()
            exits[key] = exited
            let pid = try await launchExec(key, in: container, spec: Array(request.spec),
                                           stdio: .init(stdin: nil, stdout: out.write, stderr: err.write), terminal: false).pid
            pipes.forEach { $0.close() }
            pipes = []
            record.pid = pid
            record.status = .running
            record.startedAtWallNanos = Clock.wallNanos
            records[key] = record
            watchExit(key, pid: pid)
            shim.events.publish(topic: "/tasks/exec-started") {
                $0.taskExecStarted = .with { $0.containerID = request.id; $0.execID = request.execID; $0.pid = UInt32(pid) }
            }
            var timedOut = false
            let timeout: Duration? = request.timeoutNano > 0 ? .nanoseconds(request.timeoutNano) : nil
            if await !exited.wait(timeout: timeout) {
                timedOut = true
                Glibc.kill(pid, SIGKILL)
                await exited.wait(timeout: .seconds(5))
            }
            let (outBytes, outTruncated) = await stdout.finish(grace: .seconds(1))
            let (errBytes, errTruncated) = await stderr.finish(grace: .seconds(1))
            var response = Corral_Shim_V1_ExecProcessResponse()
            response.pid = UInt32(pid)
            response.exitStatus = records[key]?.exit?.status ?? 137
            response.stdout = Data(outBytes)
            response.stderr = Data(errBytes)
            response.timedOut = timedOut
            response.outputTruncated = outTruncated || errTruncated
            forget(key)
            return response
        } catch {
            pipes.forEach { $0.close() }
            forget(key)
            throw RPCError(from: error, doing: "exec \(request.execID)")
        }
    }

    /// An exec added without sync: registered now, run by Start with the stdio paths it names.
    private func addExec(_ request: Corral_Shim_V1_ExecProcessRequest, key: TaskKey,
                         container: TaskRecord) throws(RPCError) -> Corral_Shim_V1_ExecProcessResponse {
        try Self.checkTerminal(request)
        var record = TaskRecord(id: request.id, execID: request.execID, bundle: container.bundle, runtimeBinary: container.runtimeBinary)
        record.stdin = request.stdin
        record.terminal = request.terminal
        record.logPath = request.stdoutPath
        records[key] = record
        pendingExecs[key] = request
        exits[key] = Latch()
        shim.events.publish(topic: "/tasks/exec-added") {
            $0.taskExecAdded = .with { $0.containerID = request.id; $0.execID = request.execID }
        }
        return Corral_Shim_V1_ExecProcessResponse()
    }

    /// runc needs the process spec's `terminal` to agree with the console socket it is given or not.
    private static func checkTerminal(_ request: Corral_Shim_V1_ExecProcessRequest) throws(RPCError) {
        guard let spec = try? JSONValue(parsing: Array(request.spec)) else { return }  // the runtime will say
        if (spec["terminal"]?.bool ?? false) != request.terminal {
            throw RPCError(.invalidArgument, "exec \(request.execID): terminal is \(request.terminal) but the process spec's terminal is \(!request.terminal)")
        }
    }

    /// Runs an added exec with the stdio its request names. Without a terminal, output FIFOs go
    /// to the process as they are, and a stdin FIFO is copied into a pipe, so that its end of file
    /// (or CloseIO) is the process's. With one, the pty master is copied to the stdout FIFO, and
    /// the stdin FIFO into the master.
    private func startExec(_ key: TaskKey) async throws(RPCError) {
        guard let request = pendingExecs.removeValue(forKey: key), let container = records[TaskKey(id: key.id, execID: "")] else {
            throw RPCError(.notFound, "exec \(key.execID) of task \(key.id) was not added")
        }
        let dir = taskDir(key)
        let io = ContainerIO.exec(terminal: request.terminal)
        // The process's copies: closed once the runtime has handed them over.
        var processEnds: [FileDescriptor] = []
        // The client's ends (FIFOs the shim copies from and to), until `attach` owns them.
        var clientStdin: FileDescriptor?
        var clientStdout: FileDescriptor?
        var pid: Int32 = 0
        defer { processEnds.forEach { $0.close() } }
        do {
            try FileSystem.makeDirectories(dir, mode: 0o700)
            var stdio = Spawn.Stdio()
            if !request.stdinPath.isEmpty {
                let fd = try StdioPath.openInput(request.stdinPath)
                if request.terminal || StdioPath.isFIFO(request.stdinPath) {
                    clientStdin = fd
                    if !request.terminal {
                        let pipe = try io.makeStdinPipe()
                        processEnds.append(pipe)
                        stdio.stdin = pipe
                    }
                } else {
                    processEnds.append(fd)
                    stdio.stdin = fd
                }
            }
            if request.terminal {
                if !request.stdoutPath.isEmpty {
                    clientStdout = try StdioPath.openOutput(request.stdoutPath, blocking: false)
                }
            } else {
                if !request.stdoutPath.isEmpty {
                    let fd = try StdioPath.openOutput(request.stdoutPath, blocking: true)
                    processEnds.append(fd)
                    stdio.stdout = fd
                }
                if !request.stderrPath.isEmpty {
                    let fd = try StdioPath.openOutput(request.stderrPath, blocking: true)
                    processEnds.append(fd)
                    stdio.stderr = fd
                }
            }
            let launched = try await launchExec(key, in: container, spec: Array(request.spec), stdio: stdio,
                                                terminal: request.terminal)
            pid = launched.pid
            if let master = launched.terminal {
                io.receiveTerminal(master, stdin: clientStdin != nil)
            }
            // Attached before the output starts, so the client misses none of it.
            let (stdin, stdout) = (clientStdin, clientStdout)
            (clientStdin, clientStdout) = (nil, nil)
            try io.attach(stdin: stdin, stdout: stdout, stderr: nil, backpressure: .holdSource)
            try io.startOutput()
            records[key]?.pid = pid
            ios[key] = io
            watchExit(key, pid: pid)
            shim.events.publish(topic: "/tasks/exec-started") {
                $0.taskExecStarted = .with { $0.containerID = key.id; $0.execID = key.execID; $0.pid = UInt32(pid) }
            }
        } catch {
            clientStdin?.close()
            clientStdout?.close()
            io.close()
            // A process the shim cannot give its stdio to must not run on without it.
            if pid > 0 { Glibc.kill(pid, SIGKILL) }
            forget(key)
            throw RPCError(from: error, doing: "exec \(key.execID)")
        }
    }

    // MARK: attach

    /// How far an attached client may fall behind before it is dropped: the log never waits for it.
    static let attachBacklog = 256 << 10

    func attach(_ request: Corral_Shim_V1_AttachRequest) throws(RPCError) {
        let record = try record(request.id)
        guard record.status != .stopped else {
            throw RPCError(.failedPrecondition, "task \(request.id) has exited")
        }
        if request.tty && !record.terminal {
            throw RPCError(.failedPrecondition, "task \(request.id) has no terminal")
        }
        guard let io = ios[record.key] else {
            throw RPCError(.failedPrecondition, "task \(request.id) has no stdio to attach to")
        }
        var stdin: FileDescriptor?
        var stdout: FileDescriptor?
        var stderr: FileDescriptor?
        do {
            if !request.stdinPath.isEmpty { stdin = try StdioPath.openInput(request.stdinPath) }
            if !request.stdoutPath.isEmpty { stdout = try StdioPath.openOutput(request.stdoutPath, blocking: false) }
            // A terminal has one output stream, stdout.
            if !request.stderrPath.isEmpty && !record.terminal {
                stderr = try StdioPath.openOutput(request.stderrPath, blocking: false)
            }
        } catch {
            [stdin, stdout, stderr].compactMap { $0 }.forEach { $0.close() }
            throw RPCError(.invalidArgument, "attach to task \(request.id): \(error)")
        }
        do {
            try io.attach(stdin: stdin, stdout: stdout, stderr: stderr, backpressure: .dropBeyond(Self.attachBacklog))
        } catch {
            throw RPCError(.internal, "attach to task \(request.id): \(error)")
        }
        shim.log(.info, "attached to task \(request.id)\(stdin == nil ? "" : " with stdin")")
    }

    // MARK: persistence

    /// What `corral-shim delete` needs after this shim is gone: ids, pids, bundles, runtime.
    private func persist(_ key: TaskKey) throws {
        guard let record = records[key] else { return }
        let json = JSONText.object([
            ("id", .string(record.id)), ("exec_id", .string(record.execID)), ("pid", .integer(Int64(record.pid))),
            ("bundle", .string(record.bundle)), ("runtime", .string(record.runtimeBinary)),
            ("rootfs_mounted", .integer(mountedRootfs.contains(record.id) ? 1 : 0)),
        ])
        try FileSystem.writeAtomically(taskDir(key) + "/task.json", Array(json.utf8))
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
