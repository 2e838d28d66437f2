import CorralSystem
import CorralSystemd
import Foundation
import ShimContract

/// Runs the `corral-shim` binary's own commands: `start` (fork the pod's shim, or find the
/// live one) and `delete` (clean up after a shim that died).
struct ShimLauncher: Sendable {
    let binary: String
    /// Pod state dirs live in `<state>/pods/<id>` (where `corralctl shim --pod` looks), sockets in `<state>/s`.
    let stateRoot: String
    let timeouts: ShimTimeouts
    /// Passed on as `--exec-via-runtime`.
    var execViaRuntime = false

    /// corrald's own, without what systemd gave corrald's unit: shims, and the runtimes and
    /// plugins they run, inherit it.
    static var environment: [String] { Systemd.withoutUnitVariables(Environment.current) }

    func stateDir(of podID: String) -> String { stateRoot + "/pods/" + podID }
    var socketDir: String { stateRoot + "/s" }
    func paths(of podID: String) -> ShimPaths { ShimPaths(stateDir: stateDir(of: podID), socketDir: socketDir) }

    /// Starts the pod's shim and returns its bootstrap record: the protocol it speaks, its address
    /// (`unix://…`) and its pid.
    func start(podID: String) async throws(CRIError) -> Bootstrap {
        let arguments = ["start", "--id", podID, "--state-dir", stateDir(of: podID), "--socket-dir", socketDir]
            + (execViaRuntime ? ["--exec-via-runtime"] : [])
        let result: CommandResult
        do {
            let binary = self.binary
            result = try await withDeadline(timeouts.start, onTimeout: {
                .deadlineExceededError("corral-shim start for pod \(podID) did not finish within \(timeouts.start)")
            }) {
                try await Command.run(binary, arguments: arguments, environment: Self.environment)
            }
        } catch {
            throw CRIError.from(error).prefixed("starting the shim of pod \(podID)")
        }
        guard result.status == .exited(0) else {
            let detail = result.stderrText.trimmingCharacters(in: .whitespacesAndNewlines)
            throw .internalError("corral-shim start for pod \(podID) failed (\(result.status)): \(detail)")
        }
        guard var bootstrap = Bootstrap(startOutput: result.stdoutText) else {
            throw .internalError("corral-shim start for pod \(podID) printed no bootstrap record: \"\(result.stdoutText)\"")
        }
        // A shim of before the record was printed: its pid is in the state dir.
        if bootstrap.pid == 0 { bootstrap.pid = Bootstrap.read(from: paths(of: podID).bootstrap)?.pid ?? 0 }
        return bootstrap
    }

    /// `corral-shim delete`: CNI DEL, unmounts, cgroups, state dir. Idempotent; best effort.
    func delete(podID: String) async -> String? {
        let arguments = ["delete", "--id", podID, "--state-dir", stateDir(of: podID), "--socket-dir", socketDir]
        // The failure is returned, for the caller to log.
        guard let result = try? await Command.run(binary, arguments: arguments, environment: Self.environment) else {
            return "could not run \(binary)"
        }
        return result.status == .exited(0) ? nil : result.stderrText
    }

    /// The shim next to corrald's own executable, else the one on PATH.
    static func locate(configured: String) -> String {
        if !configured.isEmpty { return configured }
        // Without /proc/self/exe the shim is looked for on PATH.
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
