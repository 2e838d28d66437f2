import CorralSystem
import ShimCgroups

#if canImport(Glibc)
import Glibc
#endif

/// The OCI runtime binary (runc, or crun), as a value: which binary, where it keeps state,
/// and who reaps what it starts. Each method is one invocation of the binary.
struct OCIRuntime: Sendable {
    let binary: String
    /// `--root`: the runtime's own state, one dir per pod so pods never see each other.
    let root: String
    /// `--systemd-cgroup`: the spec's cgroupsPath is `slice:prefix:name`, a scope systemd makes
    /// and owns, as kubelet's systemd cgroup driver expects.
    var systemdCgroup = false
    let waiter: ChildWaiter

    struct Failure: Error, CustomStringConvertible {
        let command: String
        let message: String
        var description: String { "\(command): \(message)" }
    }

    /// `create`: the container's init process exists, stopped before the user's program.
    /// stdio goes to the container's process (not a terminal) or the console socket receives the pty.
    func create(id: String, bundle: String, pidFile: String, consoleSocket: String?, stdio: Spawn.Stdio) async throws(Failure) {
        MigrationWarmUp.start()
        var arguments = ["create", "--bundle", bundle, "--pid-file", pidFile]
        if let consoleSocket { arguments += ["--console-socket", consoleSocket] }
        try await runAttached(arguments + [id], log: bundle + "/runtime.log", stdio: stdio)
    }

    func start(id: String) async throws(Failure) {
        try await runCaptured(["start", id])
    }

    func kill(id: String, signal: Int32, all: Bool) async throws(Failure) {
        try await runCaptured(["kill"] + (all ? ["--all"] : []) + [id, "\(signal)"])
    }

    func delete(id: String, force: Bool) async throws(Failure) {
        try await runCaptured(["delete"] + (force ? ["--force"] : []) + [id])
    }

    /// `exec --detach`: the process runs on once the runtime returns; its pid is in `pidFile`.
    func exec(id: String, processSpec: String, pidFile: String, consoleSocket: String?, stdio: Spawn.Stdio,
              log: String) async throws(Failure) {
        MigrationWarmUp.start()
        var arguments = ["exec", "--detach", "--process", processSpec, "--pid-file", pidFile]
        if let consoleSocket { arguments += ["--console-socket", consoleSocket] }
        try await runAttached(arguments + [id], log: log, stdio: stdio)
    }

    func update(id: String, resources: String) async throws(Failure) {
        try await runCaptured(["update", "--resources", resources, id])
    }

    /// Freezes every process of the container (the cgroup freezer).
    func pause(id: String) async throws(Failure) {
        try await runCaptured(["pause", id])
    }

    func resume(id: String) async throws(Failure) {
        try await runCaptured(["resume", id])
    }

    /// `checkpoint --leave-running`: CRIU dumps the container's processes into `imagePath` and
    /// leaves them as they were, its log and stats in `workPath`. `--file-locks` as CRI-O passes
    /// it; the pod's network namespace, joined by path, runc declares external to CRIU itself.
    /// `criu` is passed as runc's `--criu`, which only runc has (a wrapper named after it too);
    /// another runtime finds criu on PATH.
    func checkpoint(id: String, imagePath: String, workPath: String, criu: String) async throws(Failure) {
        let name = binary.split(separator: "/").last ?? ""
        let criuArguments = name.contains("runc") ? ["--criu", criu] : []
        try await runCaptured(["checkpoint", "--leave-running", "--file-locks", "--image-path", imagePath,
                               "--work-path", workPath, id], globals: criuArguments)
    }

    /// The pids of every process in the container.
    func ps(id: String) async throws(Failure) -> [Int32] {
        let output = try await runCaptured(["ps", "--format", "json", id])
        // A JSON array of integers: no need for a parser.
        return output.split(whereSeparator: { !$0.isNumber }).compactMap { Int32($0) }
    }

    // MARK: invocation

    private var globalArguments: [String] { ["--root", root] + (systemdCgroup ? ["--systemd-cgroup"] : []) }

    @discardableResult
    private func runCaptured(_ arguments: [String], globals: [String] = []) async throws(Failure) -> String {
        let command = arguments.first ?? ""
        let result: CommandResult
        do {
            result = try await Command.run(binary, arguments: globalArguments + globals + arguments, waiter: waiter)
        } catch {
            throw Failure(command: "\(binary) \(command)", message: "\(error)")
        }
        guard result.status == .exited(0) else {
            let message = result.stderrText.trimmingTrailingNewlines
            throw Failure(command: "\(binary) \(command)", message: message.isEmpty ? "\(result.status)" : message)
        }
        return result.stdoutText
    }

    /// Runs with the container's stdio; errors come back through the runtime's log file,
    /// since its stderr belongs to the container.
    private func runAttached(_ arguments: [String], log: String, stdio: Spawn.Stdio) async throws(Failure) {
        let command = arguments.first ?? ""
        FileSystem.remove(log)
        let pid: pid_t
        let mark = waiter.mark()
        do {
            pid = try Spawn.run(binary, arguments: [binary] + globalArguments + ["--log", log, "--log-format", "json"] + arguments,
                                stdio: stdio)
        } catch {
            throw Failure(command: "\(binary) \(command)", message: "\(error)")
        }
        let status = await waiter.wait(pid, mark)
        guard status == .exited(0) else {
            throw Failure(command: "\(binary) \(command)", message: Self.lastError(inLog: log) ?? "\(status)")
        }
    }

    /// The message of the last error record of a JSON-lines runtime log.
    static func lastError(inLog path: String) -> String? {
        guard let text = try? FileSystem.readText(path) else { return nil }
        for line in text.split(separator: "\n").reversed() where line.contains("\"level\":\"error\"") {
            guard let start = line.firstRange(of: "\"msg\":\"") else { continue }
            var message = ""
            var escaped = false
            for character in line[start.upperBound...] {
                if escaped {
                    message.append(character == "n" ? "\n" : character == "t" ? "\t" : character)
                    escaped = false
                } else if character == "\\" {
                    escaped = true
                } else if character == "\"" {
                    return message
                } else {
                    message.append(character)
                }
            }
        }
        return nil
    }
}

extension String {
    var trimmingTrailingNewlines: String {
        var result = self
        while result.last?.isNewline == true || result.last == " " { result.removeLast() }
        return result
    }
}
