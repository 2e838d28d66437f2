import CRIAPI
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
            let linux = Self.ociResources(resources)
            let json: Data
            do { json = try JSONEncoder().encode(linux) } catch { throw .internalError("encoding resources: \(error)") }
            _ = try await handle.call(TaskMethods.update, .with {
                $0.id = container.id
                $0.resources = json
                $0.annotations = request.annotations
            })
        }
        try await registry.update(container: container.id) { $0.config.linux.resources = resources }
        return .init()
    }

    static func ociResources(_ r: Runtime_V1_LinuxContainerResources) -> LinuxResources {
        var resources = LinuxResources()
        var cpu = LinuxCPU()
        if r.cpuShares > 0 { cpu.shares = UInt64(r.cpuShares) }
        if r.cpuQuota != 0 { cpu.quota = r.cpuQuota }
        if r.cpuPeriod > 0 { cpu.period = UInt64(r.cpuPeriod) }
        if !r.cpusetCpus.isEmpty { cpu.cpus = r.cpusetCpus }
        if !r.cpusetMems.isEmpty { cpu.mems = r.cpusetMems }
        resources.cpu = cpu
        if r.memoryLimitInBytes > 0 {
            var memory = LinuxMemory()
            memory.limit = r.memoryLimitInBytes
            memory.swap = r.memorySwapLimitInBytes > 0 ? r.memorySwapLimitInBytes : r.memoryLimitInBytes
            resources.memory = memory
        }
        if !r.unified.isEmpty { resources.unified = r.unified }
        return resources
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
