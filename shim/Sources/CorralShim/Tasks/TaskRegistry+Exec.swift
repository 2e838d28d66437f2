#if canImport(FoundationEssentials)
import FoundationEssentials  // Data, for protobuf bytes fields
#endif
import CorralJSON
import CorralSystem
import ShimAPI
import ShimIO
import TTRPC

#if canImport(Glibc)
import Glibc
#endif

/// Execs: added, then started by the shim itself or, where it can't reproduce the container, by the runtime.
extension TaskRegistry {
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
        var record = TaskRecord(id: request.id, execID: request.execID, bundle: container.bundle, runtimeBinary: container.runtimeBinary,
                                runtimeRoot: container.runtimeRoot)
        records[key] = record
        shim.events.publish(topic: "/tasks/exec-added") {
            $0.taskExecAdded = .with { $0.containerID = request.id; $0.execID = request.execID }
        }
        let dir = taskDir(key)
        let budget = OutputBudget(requested: request.outputLimit)
        var pipes: [FileDescriptor] = []
        do {
            try FileSystem.makeDirectories(dir, mode: 0o700)
            let out = try FileDescriptor.pipe()
            pipes += [out.read, out.write]
            let err = try FileDescriptor.pipe()
            pipes += [err.read, err.write]
            let stdout = OutputCapture(reading: out.read, budget: budget)
            let stderr = OutputCapture(reading: err.read, budget: budget)
            pipes = [out.write, err.write]
            let exited = Latch()
            exits[key] = exited
            let launched = try await launchExec(key, in: container, spec: Array(request.spec),
                                                stdio: .init(stdin: nil, stdout: out.write, stderr: err.write), terminal: false)
            let pid = launched.pid
            pipes.forEach { $0.close() }
            pipes = []
            record.pid = pid
            record.status = .running
            record.startedAtWallNanos = Clock.wallNanos
            records[key] = record
            watchExit(key, pid: pid, since: launched.mark)
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
    func addExec(_ request: Corral_Shim_V1_ExecProcessRequest, key: TaskKey,
                         container: TaskRecord) throws(RPCError) -> Corral_Shim_V1_ExecProcessResponse {
        try Self.checkTerminal(request)
        var record = TaskRecord(id: request.id, execID: request.execID, bundle: container.bundle, runtimeBinary: container.runtimeBinary,
                                runtimeRoot: container.runtimeRoot)
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
    static func checkTerminal(_ request: Corral_Shim_V1_ExecProcessRequest) throws(RPCError) {
        guard let spec = try? JSONValue(parsing: Array(request.spec)) else { return }  // the runtime will say
        if (spec["terminal"]?.bool ?? false) != request.terminal {
            throw RPCError(.invalidArgument, "exec \(request.execID): terminal is \(request.terminal) but the process spec's terminal is \(!request.terminal)")
        }
    }

    /// Runs an added exec with the stdio its request names. Without a terminal, the process
    /// writes into pipes that are copied to the output FIFOs, and a stdin FIFO is copied into a
    /// pipe, so that its end of file (or CloseIO) is the process's. With one, the pty master is
    /// copied to the stdout FIFO, and the stdin FIFO into the master. Either way the process never
    /// holds the FIFOs themselves, which are files of the host.
    func startExec(_ key: TaskKey) async throws(RPCError) {
        guard let request = pendingExecs.removeValue(forKey: key), let container = records[TaskKey(id: key.id, execID: "")] else {
            throw RPCError(.notFound, "exec \(key.execID) of task \(key.id) was not added")
        }
        let dir = taskDir(key)
        var outputs: Set<LogStream> = []
        if !request.stdoutPath.isEmpty { outputs.insert(.stdout) }
        if !request.stderrPath.isEmpty && !request.terminal { outputs.insert(.stderr) }
        let io = ContainerIO.exec(terminal: request.terminal, outputs: outputs)
        // The process's copies: closed once the runtime has handed them over.
        var processEnds: [FileDescriptor] = []
        // The client's ends (FIFOs the shim copies from and to), until `attach` owns them.
        var clientStdin: FileDescriptor?
        var clientStdout: FileDescriptor?
        var clientStderr: FileDescriptor?
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
            if !request.stdoutPath.isEmpty {
                clientStdout = try StdioPath.openOutput(request.stdoutPath, blocking: false)
            }
            if !request.terminal {
                if !request.stderrPath.isEmpty {
                    clientStderr = try StdioPath.openOutput(request.stderrPath, blocking: false)
                }
                for stream in [LogStream.stdout, .stderr] where outputs.contains(stream) {
                    let fd = try io.makeOutputPipe(stream)
                    processEnds.append(fd)
                    if stream == .stdout { stdio.stdout = fd } else { stdio.stderr = fd }
                }
            }
            let launched = try await launchExec(key, in: container, spec: Array(request.spec), stdio: stdio,
                                                terminal: request.terminal)
            pid = launched.pid
            if let master = launched.terminal {
                io.receiveTerminal(master, stdin: clientStdin != nil)
            }
            // Attached before the output starts, so the client misses none of it.
            let (stdin, stdout, stderr) = (clientStdin, clientStdout, clientStderr)
            (clientStdin, clientStdout, clientStderr) = (nil, nil, nil)
            try io.attach(stdin: stdin, stdout: stdout, stderr: stderr, backpressure: .holdSource)
            try io.startOutput()
            records[key]?.pid = pid
            ios[key] = io
            watchExit(key, pid: pid, since: launched.mark)
            shim.events.publish(topic: "/tasks/exec-started") {
                $0.taskExecStarted = .with { $0.containerID = key.id; $0.execID = key.execID; $0.pid = UInt32(pid) }
            }
        } catch {
            clientStdin?.close()
            clientStdout?.close()
            clientStderr?.close()
            io.close()
            // A process the shim cannot give its stdio to must not run on without it.
            if pid > 0 { Glibc.kill(pid, SIGKILL) }
            forget(key)
            throw RPCError(from: error, doing: "exec \(key.execID)")
        }
    }
}
