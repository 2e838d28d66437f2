import CRIAPI
import CorralSystem
import Foundation
import ShimAPI
import Synchronization

/// The previous CPU sample of each container, from which usage_nano_cores is the rate.
final class CPUSamples: Sendable {
    private let samples = Mutex<[String: (time: Int64, usage: UInt64)]>([:])

    func rate(of id: String, time: Int64, usage: UInt64) -> UInt64? {
        samples.withLock { samples in
            defer { samples[id] = (time, usage) }
            guard let last = samples[id], time > last.time, usage >= last.usage else { return nil }
            return UInt64(Double(usage - last.usage) / Double(time - last.time) * 1e9)
        }
    }

    func forget(_ id: String) {
        _ = samples.withLock { $0.removeValue(forKey: id) }
    }
}

extension CRIService {
    func containerStats(_ request: Runtime_V1_ContainerStatsRequest) async throws(CRIError) -> Runtime_V1_ContainerStatsResponse {
        let container = try await registry.container(request.containerID)
        let stats = try await stats(of: container)
        return .with { $0.stats = stats }
    }

    func listContainerStats(_ request: Runtime_V1_ListContainerStatsRequest) async -> Runtime_V1_ListContainerStatsResponse {
        let filter = request.filter
        var containers = await registry.allContainers.filter { $0.state == .containerRunning }
        if request.hasFilter {
            if !filter.id.isEmpty {
                let id = await registry.resolveContainerID(filter.id)
                containers.removeAll { $0.id != id }
            }
            if !filter.podSandboxID.isEmpty {
                let pod = await registry.resolveSandboxID(filter.podSandboxID)
                containers.removeAll { $0.sandboxID != pod }
            }
            if !filter.labelSelector.isEmpty {
                containers.removeAll { container in
                    filter.labelSelector.contains { container.config.labels[$0.key] != $0.value }
                }
            }
        }
        let all = await concurrentStats(of: containers) { try await self.stats(of: $0) }
        return .with { $0.stats = all.sorted { $0.attributes.id < $1.attributes.id } }
    }

    func stats(of container: ContainerEntry) async throws(CRIError) -> Runtime_V1_ContainerStats {
        var stats = Runtime_V1_ContainerStats.with {
            $0.attributes = .with {
                $0.id = container.id
                $0.metadata = container.metadata
                $0.labels = container.config.labels
                $0.annotations = container.config.annotations
            }
        }
        let now = Self.now
        if container.state == .containerRunning, let sandbox = await registry.existingSandbox(container.sandboxID) {
            let handle = try await shim(of: sandbox)
            let task = try await handle.call(TaskMethods.stats, .with { $0.id = container.id })
            let time = task.hasTimestamp ? Self.nanos(task.timestamp) : now
            stats.cpu = .with {
                $0.timestamp = time
                $0.usageCoreNanoSeconds.value = task.cpu.usageCoreNanos
                if let rate = cpuSamples.rate(of: container.id, time: time, usage: task.cpu.usageCoreNanos) {
                    $0.usageNanoCores.value = rate
                }
            }
            stats.memory = .with {
                $0.timestamp = time
                $0.workingSetBytes.value = task.memory.workingSetBytes
                $0.usageBytes.value = task.memory.usageBytes
                $0.rssBytes.value = task.memory.rssBytes
                if task.memory.limitBytes > 0, task.memory.limitBytes < UInt64(Int64.max) {
                    $0.availableBytes.value = task.memory.limitBytes > task.memory.workingSetBytes
                        ? task.memory.limitBytes - task.memory.workingSetBytes : 0
                }
            }
        }
        let (bytes, inodes) = Self.usage(ofUpper: container.rootfsOptions)
        let mountpoint = containerFilesystemMountpoint()
        stats.writableLayer = .with {
            $0.timestamp = now
            $0.fsID.mountpoint = mountpoint
            $0.usedBytes.value = bytes
            $0.inodesUsed.value = inodes
        }
        return stats
    }

    /// The bytes and inodes of the container's own layer (its overlay upper dir), as du counts
    /// them (containerd's overlay snapshotter reports the same).
    static func usage(ofUpper options: [String]) -> (bytes: UInt64, inodes: UInt64) {
        guard let upper = options.first(where: { $0.hasPrefix("upperdir=") })?.dropFirst("upperdir=".count) else { return (0, 0) }
        let usage = DiskUsage.of(String(upper))
        return (usage.bytes, usage.inodes)
    }
}
