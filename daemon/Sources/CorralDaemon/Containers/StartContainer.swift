import CRIAPI
import Logging
import CorralSystem
import ShimAPI

extension CRIService {
    /// Creates the container's task in its pod's shim (which mounts the rootfs and runs
    /// `runc create`), then starts it. A container that fails to start is EXITED with reason
    /// StartError, as kubelet expects, and keeps its name until removed.
    func startContainer(_ request: Runtime_V1_StartContainerRequest) async throws(CRIError) -> Runtime_V1_StartContainerResponse {
        let container = try await registry.container(request.containerID)
        guard container.state == .containerCreated else {
            throw .failedPrecondition("container \(container.id) is \(container.state), not CREATED")
        }
        guard let sandbox = await registry.existingSandbox(container.sandboxID), sandbox.state == .sandboxReady else {
            throw .failedPrecondition("pod sandbox \(container.sandboxID) of container \(container.id) is not ready")
        }
        let runtime = try settings.runtime(forHandler: sandbox.runtimeHandler)
        let handle = try await shim(of: sandbox)
        let config = container.config
        do throws(CRIError) {
            // As containerd does: the log's directory is made if kubelet has not made it yet.
            if !container.logPath.isEmpty {
                do { try FileSystem.makeDirectories(FileSystem.parent(of: container.logPath), mode: 0o755) } catch {
                    throw CRIError.internalError("creating the log directory of container \(container.id): \(error)")
                }
            }
            let created = try await handle.call(TaskMethods.create, .with {
                $0.id = container.id
                $0.bundle = container.bundle
                $0.rootfs = [.with {
                    $0.type = "overlay"
                    $0.source = "overlay"
                    $0.options = container.rootfsOptions
                }]
                $0.terminal = config.tty
                $0.stdin = config.stdin
                $0.stdinOnce = config.stdinOnce
                $0.logPath = container.logPath
                $0.runtimePath = runtime.path
                $0.runtimeRoot = runtime.root
            }, timeout: max(settings.timeouts.call, .seconds(60)))
            // The container's mount namespace holds its own copies now; ours would keep the
            // host paths' submounts busy (a host that unmounts one could not remove its dir).
            releaseStaged(bundle: container.bundle)
            try await registry.update(container: container.id) { $0.pid = created.pid }
            let started = try await handle.call(TaskMethods.start, .with { $0.id = container.id },
                                                timeout: max(settings.timeouts.call, .seconds(60)))
            let startedAt = started.hasStartedAt ? Self.nanos(started.startedAt) : Self.now
            try await registry.update(container: container.id) {
                $0.startedAt = $0.finishedAt > 0 ? min(startedAt, $0.finishedAt) : startedAt
                $0.pid = started.pid
                // The exit may already have been seen (a container that ends at once).
                if $0.state == .containerCreated { $0.state = .containerRunning }
            }
        } catch {
            releaseStaged(bundle: container.bundle)
            let now = Self.now
            let metadata: Logger.Metadata = ["container": "\(container.id)"]
            await bestEffort("recording a failed start", metadata) {
                try await registry.update(container: container.id) {
                    $0.state = .containerExited
                    $0.exitCode = 128
                    $0.finishedAt = now
                    $0.reason = "StartError"
                    $0.message = error.message
                }
            }
            // The task may never have been created: nothing for the shim to delete then.
            await bestEffort("deleting the task of a failed start", level: .debug, metadata) {
                try await handle.call(TaskMethods.delete, .with { $0.id = container.id })
            }
            throw error
        }
        return .init()
    }
}
