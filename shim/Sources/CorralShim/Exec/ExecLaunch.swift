import CorralSystem
import TTRPC

#if canImport(Glibc)
import Glibc
#endif

/// How an exec's process comes to be: started by the shim (DirectExec) unless the container or
/// the process asks for something only the runtime does, or the shim was told to leave every
/// exec to the runtime.
extension TaskRegistry {
    struct LaunchedExec {
        let pid: Int32
        /// The pty master, for an exec with a terminal.
        let terminal: FileDescriptor?
        /// The reaper's mark from before the process was started, for waiting on it.
        let mark: UInt64
    }

    func launchExec(_ key: TaskKey, in container: TaskRecord, spec: [UInt8], stdio: Spawn.Stdio,
                    terminal: Bool) async throws -> LaunchedExec {
        if !shim.options.execViaRuntime, let launched = try await launchDirectly(key, in: container, spec: spec,
                                                                                  stdio: stdio, terminal: terminal) {
            return launched
        }
        let dir = taskDir(key)
        try FileSystem.writeAtomically(dir + "/process.json", spec)
        let mark = shim.reaper.mark()
        let console = terminal ? try ConsoleSocket(path: shim.paths.consoleSocket(for: key.description)) : nil
        defer { console?.close() }
        try await runtime(of: container).exec(
            id: key.id, processSpec: dir + "/process.json", pidFile: dir + "/pid", consoleSocket: console?.path,
            stdio: stdio, log: dir + "/runtime.log")
        guard let pid = Int32((try FileSystem.readText(dir + "/pid")).trimmingTrailingNewlines) else {
            throw RPCError(.internal, "runtime wrote no pid for exec \(key.execID)")
        }
        do {
            return LaunchedExec(pid: pid, terminal: try console?.receiveMaster(), mark: mark)
        } catch {
            _ = Glibc.kill(pid, SIGKILL)
            throw error
        }
    }

    /// nil when the runtime has to start this exec.
    private func launchDirectly(_ key: TaskKey, in container: TaskRecord, spec: [UInt8], stdio: Spawn.Stdio,
                                terminal: Bool) async throws -> LaunchedExec? {
        let facts: DirectExec.Container
        if let known = execContainers[key.id] {
            facts = known
        } else {
            facts = DirectExec.container(bundle: container.bundle, initPID: container.pid)
            execContainers[key.id] = facts
            if let reason = facts.unsupported {
                shim.log(.info, "execs in \(key.id) go through \(container.runtimeBinary): \(reason)")
            }
        }
        let pair = terminal ? try UnixSocket.pair() : nil
        defer {
            pair?.0.close()
            pair?.1.close()
        }
        let (planned, reason) = try DirectExec.plan(processSpec: spec, container: facts, initPID: container.pid,
                                                    stdio: stdio, terminal: pair?.1)
        guard let plan = planned else {
            if let reason { shim.log(.debug, "exec \(key) goes through \(container.runtimeBinary): \(reason)") }
            return nil
        }
        let mark = shim.reaper.mark()
        let (helper, result) = await BlockingWork.run { ContainerExec.start(plan) }
        plan.containerDescriptors.forEach { $0.close() }
        if helper > 0 {
            let reaper = shim.reaper
            Task { _ = await reaper.wait(for: helper, since: mark) }
        }
        switch result {
        case .success(let pid):
            guard let pair else { return LaunchedExec(pid: pid, terminal: nil, mark: mark) }
            do {
                return LaunchedExec(pid: pid, terminal: try Terminal.receiveMaster(over: pair.0), mark: mark)
            } catch {
                _ = Glibc.kill(pid, SIGKILL)
                throw error
            }
        case .failure(let failure):
            throw OCIRuntime.Failure(command: "exec", message: "exec failed: unable to start container process: \(failure)")
        }
    }
}
