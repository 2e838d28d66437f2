import CorralSystem
import Foundation

/// Runs the `corral-shim` binary's own commands: `start` (fork the pod's shim, or find the
/// live one) and `delete` (clean up after a shim that died).
struct ShimLauncher: Sendable {
    let binary: String
    /// Pod state dirs live in `<state>/pods/<id>` (where `corralctl shim --pod` looks), sockets in `<state>/s`.
    let stateRoot: String
    let timeouts: ShimTimeouts
    /// Passed on as `--exec-via-runtime`.
    var execViaRuntime = false

    func stateDir(of podID: String) -> String { stateRoot + "/pods/" + podID }
    var socketDir: String { stateRoot + "/s" }

    /// Starts the pod's shim and returns its address (`unix://…`) and pid.
    func start(podID: String) async throws(CRIError) -> (address: String, pid: Int32) {
        let arguments = ["start", "--id", podID, "--state-dir", stateDir(of: podID), "--socket-dir", socketDir]
            + (execViaRuntime ? ["--exec-via-runtime"] : [])
        let result: CommandResult
        do {
            let binary = self.binary
            result = try await withDeadline(timeouts.start, onTimeout: {
                .deadlineExceededError("corral-shim start for pod \(podID) did not finish within \(timeouts.start)")
            }) {
                try await Command.run(binary, arguments: arguments)
            }
        } catch {
            throw CRIError.from(error).prefixed("starting the shim of pod \(podID)")
        }
        guard result.status == .exited(0) else {
            let detail = result.stderrText.trimmingCharacters(in: .whitespacesAndNewlines)
            throw .internalError("corral-shim start for pod \(podID) failed (\(result.status)): \(detail)")
        }
        let address = result.stdoutText.trimmingCharacters(in: .whitespacesAndNewlines)
        guard address.hasPrefix("unix://") else {
            throw .internalError("corral-shim start for pod \(podID) printed no address: \"\(address)\"")
        }
        return (address, bootstrap(of: podID)?.pid ?? 0)
    }

    /// `corral-shim delete`: CNI DEL, unmounts, cgroups, state dir. Idempotent; best effort.
    func delete(podID: String) async -> String? {
        let arguments = ["delete", "--id", podID, "--state-dir", stateDir(of: podID), "--socket-dir", socketDir]
        guard let result = try? await Command.run(binary, arguments: arguments) else { return "could not run \(binary)" }
        return result.status == .exited(0) ? nil : result.stderrText
    }

    /// What the shim left in its state dir: its address and pid, for a daemon that restarts.
    func bootstrap(of podID: String) -> (address: String, pid: Int32)? {
        guard let data = FileManager.default.contents(atPath: stateDir(of: podID) + "/bootstrap.json"),
              let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
              let address = object["address"] as? String,
              let pid = object["pid"] as? Int else { return nil }
        return (address, Int32(clamping: pid))
    }

    /// The shim next to corrald's own executable, else the one on PATH.
    static func locate(configured: String) -> String {
        if !configured.isEmpty { return configured }
        if let exe = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") {
            let sibling = (exe as NSString).deletingLastPathComponent + "/corral-shim"
            if FileManager.default.isExecutableFile(atPath: sibling) { return sibling }
        }
        return Spawn.resolve("corral-shim")
    }
}

extension CRIError {
    static func deadlineExceededError(_ message: String) -> CRIError { CRIError(.deadlineExceeded, message) }

    func prefixed(_ context: String) -> CRIError { CRIError(code, "\(context): \(message)") }
}
