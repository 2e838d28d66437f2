import CRIAPI
import CorralSpec
import Foundation
import OCISpec
import ShimAPI

extension CRIService {
    /// New resources through `runc update`, kept in the container's config so that status
    /// reports them.
    func updateContainerResources(_ request: Runtime_V1_UpdateContainerResourcesRequest) async throws(CRIError) -> Runtime_V1_UpdateContainerResourcesResponse {
        let container = try await registry.container(request.containerID)
        let resources = request.linux
        for (field, value) in [("cpu_period", resources.cpuPeriod), ("cpu_quota", resources.cpuQuota),
                               ("cpu_shares", resources.cpuShares), ("memory_limit_in_bytes", resources.memoryLimitInBytes)]
            where value < 0 && !(field == "cpu_quota" && value == -1) {
            throw .invalidArgument("linux.\(field) \(value) is negative")
        }
        if container.state == .containerRunning, let sandbox = await registry.existingSandbox(container.sandboxID) {
            let handle = try await shim(of: sandbox)
            // Devices stay as they were: `runc update` reads only the limits.
            var limits = ContainerResources.make(resources, devices: [], host: .current)
            limits.devices = nil
            let json: Data
            do { json = try JSONEncoder().encode(limits) } catch { throw .internalError("encoding resources: \(error)") }
            _ = try await handle.call(TaskMethods.update, .with {
                $0.id = container.id
                $0.resources = json
                $0.annotations = request.annotations
            })
        }
        try await registry.update(container: container.id) { $0.config.linux.resources = resources }
        return .init()
    }

    /// kubelet rotated the log: the shim reopens the file at the same path.
    func reopenContainerLog(_ request: Runtime_V1_ReopenContainerLogRequest) async throws(CRIError) -> Runtime_V1_ReopenContainerLogResponse {
        let container = try await registry.container(request.containerID)
        guard container.state == .containerRunning else {
            throw .failedPrecondition("container \(container.id) is not running")
        }
        guard let sandbox = await registry.existingSandbox(container.sandboxID) else {
            throw .notFound("pod sandbox \(container.sandboxID) not found")
        }
        let handle = try await shim(of: sandbox)
        _ = try await handle.call(TaskMethods.reopenLog, .with { $0.id = container.id })
        return .init()
    }
}
