import CRIAPI
import ShimAPI

extension CRIService {
    func podSandboxStats(_ request: Runtime_V1_PodSandboxStatsRequest) async throws(CRIError) -> Runtime_V1_PodSandboxStatsResponse {
        let sandbox = try await registry.sandbox(request.podSandboxID)
        let stats = try await stats(of: sandbox)
        return .with { $0.stats = stats }
    }

    func listPodSandboxStats(_ request: Runtime_V1_ListPodSandboxStatsRequest) async -> Runtime_V1_ListPodSandboxStatsResponse {
        var sandboxes = await registry.allSandboxes.filter { $0.state == .sandboxReady }
        if request.hasFilter {
            if !request.filter.id.isEmpty {
                let id = await registry.resolveSandboxID(request.filter.id)
                sandboxes.removeAll { $0.id != id }
            }
            let selector = request.filter.labelSelector
            if !selector.isEmpty {
                sandboxes.removeAll { sandbox in selector.contains { sandbox.config.labels[$0.key] != $0.value } }
            }
        }
        let all = await concurrentStats(of: sandboxes) { try await self.stats(of: $0) }
        return .with { $0.stats = all.sorted { $0.attributes.id < $1.attributes.id } }
    }

    func stats(of sandbox: SandboxEntry) async throws(CRIError) -> Runtime_V1_PodSandboxStats {
        var result = Runtime_V1_PodSandboxStats.with {
            $0.attributes = .with {
                $0.id = sandbox.id
                $0.metadata = sandbox.metadata
                $0.labels = sandbox.config.labels
                $0.annotations = sandbox.config.annotations
            }
        }
        guard sandbox.state == .sandboxReady else { return result }
        let handle = try await shim(of: sandbox)
        let metrics = try await handle.call(SandboxMethods.sandboxMetrics, .with { $0.sandboxID = sandbox.id })
        let time = metrics.hasTimestamp ? Self.nanos(metrics.timestamp) : Self.now
        result.linux = .with {
            $0.cpu = .with {
                $0.timestamp = time
                $0.usageCoreNanoSeconds.value = metrics.cpu.usageCoreNanos
                if let rate = cpuSamples.rate(of: "pod:" + sandbox.id, time: time, usage: metrics.cpu.usageCoreNanos) {
                    $0.usageNanoCores.value = rate
                }
            }
            $0.memory = .with {
                $0.timestamp = time
                $0.workingSetBytes.value = metrics.memory.workingSetBytes
                $0.usageBytes.value = metrics.memory.usageBytes
                $0.rssBytes.value = metrics.memory.rssBytes
            }
            $0.process = .with {
                $0.timestamp = time
                $0.processCount.value = metrics.pids.current
            }
        }
        let interfaces = await interfaceCounters(of: sandbox)
        if !interfaces.isEmpty { result.linux.network = Self.networkUsage(interfaces, at: Self.now) }
        var containers: [Runtime_V1_ContainerStats] = []
        for container in await registry.containers(inSandbox: sandbox.id) where container.state == .containerRunning {
            // A container that went away meanwhile has no stats: the pod lists the rest.
            if let one = try? await stats(of: container) { containers.append(one) }
        }
        result.linux.containers = containers
        return result
    }
}
