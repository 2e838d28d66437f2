import CRIAPI

extension CRIService {
    /// In-place pod resize. kubelet resizes the pod's cgroup itself (it owns the cgroup parent
    /// with runc-based runtimes) and tells the runtime afterwards; the containers' own limits
    /// come through UpdateContainerResources. What is left here is to check the request and
    /// acknowledge it, as containerd does without a plugin that wants the numbers.
    func updatePodSandboxResources(_ request: Runtime_V1_UpdatePodSandboxResourcesRequest)
    async throws(CRIError) -> Runtime_V1_UpdatePodSandboxResourcesResponse {
        let sandbox = try await registry.sandbox(request.podSandboxID)
        guard sandbox.state == .sandboxReady else {
            throw .failedPrecondition("pod sandbox \(sandbox.id) is not ready")
        }
        for (name, resources) in [("resources", request.resources), ("overhead", request.overhead)] {
            let fields: [(String, Int64)] = [("cpu_period", resources.cpuPeriod), ("cpu_quota", resources.cpuQuota),
                                             ("cpu_shares", resources.cpuShares),
                                             ("memory_limit_in_bytes", resources.memoryLimitInBytes)]
            for (field, value) in fields where value < 0 && !(field == "cpu_quota" && value == -1) {
                throw .invalidArgument("\(name).\(field) \(value) is negative")
            }
        }
        logger.debug("pod resources updated", metadata: ["pod": "\(sandbox.id)",
                                                          "memory": "\(request.resources.memoryLimitInBytes)",
                                                          "cpu_quota": "\(request.resources.cpuQuota)"])
        return .init()
    }
}
