import CRIAPI
import CorralSystem
import ShimAPI

extension CRIService {
    /// Removes a container, killing it first if it still runs. Removing what is gone succeeds.
    func removeContainer(_ request: Runtime_V1_RemoveContainerRequest) async throws(CRIError) -> Runtime_V1_RemoveContainerResponse {
        let container: ContainerEntry
        do {
            container = try await registry.container(request.containerID)
        } catch where error.code == .notFound {
            return .init()
        }
        try await remove(container)
        return .init()
    }

    func remove(_ container: ContainerEntry) async throws(CRIError) {
        if container.state == .containerRunning {
            try await stopContainer(container, timeout: 0)
        }
        // Without a shim to reach there is no task left to delete: its pod's shim is gone.
        if let sandbox = await registry.existingSandbox(container.sandboxID),
           let handle = try? await shim(of: sandbox) {
            do {
                _ = try await handle.call(TaskMethods.delete, .with { $0.id = container.id })
            } catch where error.code == .notFound {
                // Never started, or already deleted.
            }
        }
        discardFiles(ofContainer: container.id, bundle: container.bundle)
        try await registry.remove(container: container.id)
    }

    /// A container's writable layer and its bundle (with what was staged under it for the runtime).
    func discardFiles(ofContainer id: String, bundle: String) {
        containerImages.removeRootfs(containerID: id)
        releaseStaged(bundle: bundle)
        FileSystem.removeTree(bundle)
    }

    /// Detaches what corrald staged for the bundle's runtime to bind. A mount that will not go
    /// stays (removeTree does not descend into it) and is logged for the operator.
    func releaseStaged(bundle: String) {
        let directory = StagedMounts.directory(bundle: bundle)
        if !mountStaging.release(directory) {
            logger.warning("a staged mount under the bundle stays mounted", metadata: ["directory": "\(directory)"])
        }
    }
}
