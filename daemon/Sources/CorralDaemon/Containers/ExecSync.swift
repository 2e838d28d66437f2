import CRIAPI
import CorralSpec
import CorralSystem
import Foundation
import OCISpec
import ShimAPI

extension CRIService {
    /// Runs a command in a running container and returns its output and exit code. The
    /// timeout (seconds, 0 = none) kills the command and answers DeadlineExceeded.
    func execSync(_ request: Runtime_V1_ExecSyncRequest) async throws(CRIError) -> Runtime_V1_ExecSyncResponse {
        guard !request.cmd.isEmpty else { throw .invalidArgument("cmd is empty") }
        guard request.timeout >= 0 else { throw .invalidArgument("timeout \(request.timeout) is negative") }
        let container = try await registry.container(request.containerID)
        guard container.state == .containerRunning else {
            throw .failedPrecondition("container \(container.id) is not running")
        }
        guard let sandbox = await registry.existingSandbox(container.sandboxID) else {
            throw .notFound("pod sandbox \(container.sandboxID) of container \(container.id) not found")
        }
        let handle = try await shim(of: sandbox)
        let process = try execProcess(of: container, command: request.cmd, terminal: false)
        let limit: Duration = request.timeout > 0 ? .seconds(request.timeout) : .seconds(24 * 3600)
        let response = try await handle.call(TaskMethods.exec, .with {
            $0.id = container.id
            $0.execID = "exec-" + String(Self.newID().prefix(16))
            $0.spec = process
            $0.sync = true
            $0.timeoutNano = request.timeout > 0 ? request.timeout * 1_000_000_000 : 0
            // The most the shim keeps: what one frame carries (4 MiB less 64 KiB), stdout and stderr
            // together. kubelet reads 10 KiB of a probe's output; containerd and CRI-O keep 16 MiB.
            $0.outputLimit = 0
        }, timeout: limit + settings.timeouts.call)
        if response.timedOut {
            throw CRIError(.deadlineExceeded, "command \(request.cmd) in container \(container.id) timed out after \(request.timeout)s")
        }
        if response.outputTruncated {
            logger.info("exec output truncated", metadata: ["container": "\(container.id)", "cmd": "\(request.cmd)",
                                                            "kept": "\(response.stdout.count + response.stderr.count)"])
        }
        return .with {
            $0.stdout = response.stdout
            $0.stderr = response.stderr
            $0.exitCode = Int32(bitPattern: response.exitStatus)
        }
    }

    /// The process an exec runs: the container's user, environment, capabilities and working dir.
    func execProcess(of container: ContainerEntry, command: [String], terminal: Bool) throws(CRIError) -> Data {
        do {
            let data = Data(try FileSystem.readFile(container.bundle + "/config.json", limit: 16 << 20))
            let spec = try JSONDecoder().decode(Spec.self, from: data)
            let process = makeExecProcess(container: spec, command: command, terminal: terminal)
            return try JSONEncoder().encode(process)
        } catch {
            throw .internalError("reading the spec of container \(container.id): \(error)")
        }
    }
}
