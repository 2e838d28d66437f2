#if canImport(Glibc)
import Glibc
#endif
import CorralSystem
import TTRPC

/// The CRIU binary a checkpoint runs through the runtime, once `criu check` says it can work on
/// this host. containerd and CRI-O check for CRIU before each checkpoint too.
enum CRIU {
    /// The binary to use: `configured`, else `criu` on the shim's PATH. FAILED_PRECONDITION,
    /// saying why, when there is none or its check fails (an old CRIU on a newer kernel fails
    /// here rather than halfway through a dump).
    static func usable(_ configured: String, checkpointing id: String, waiter: ChildWaiter) async throws(RPCError) -> String {
        let path = configured.isEmpty ? Spawn.resolve("criu") : configured
        guard path.hasPrefix("/"), access(path, X_OK) == 0 else {
            let which = configured.isEmpty ? "no criu on PATH" : "\(configured) is not an executable file"
            throw RPCError(.failedPrecondition, "checkpointing \(id) needs CRIU, and there is none: \(which)")
        }
        let result: CommandResult
        do {
            result = try await Command.run(path, arguments: ["check"], waiter: waiter)
        } catch {
            throw RPCError(.failedPrecondition, "checkpointing \(id) needs CRIU, and `\(path) check` could not run: \(error)")
        }
        guard result.status == .exited(0) else {
            throw RPCError(.failedPrecondition,
                           "checkpointing \(id) needs CRIU, and `\(path) check` fails on this host (\(result.status)): "
                               + errors(result.stderrText + result.stdoutText))
        }
        return path
    }

    /// CRIU's error lines, which say what it lacks; its whole output when it has none.
    static func errors(_ output: String) -> String {
        let lines = output.split(separator: "\n").map(String.init)
        let errors = lines.filter { $0.contains("Error") }
        return (errors.isEmpty ? lines : errors).suffix(4).joined(separator: "; ")
    }
}
