import CRIAPI
import CorralSystem
import ShimAPI

extension CRIService {
    func listMetricDescriptors(_ request: Runtime_V1_ListMetricDescriptorsRequest) -> Runtime_V1_ListMetricDescriptorsResponse {
        .with { $0.descriptors = CadvisorMetric.descriptors }
    }

    /// Every ready pod's metrics, the pods' shims asked all at once; a pod whose shim cannot be
    /// reached is left out, as in ListPodSandboxStats.
    func listPodSandboxMetrics(_ request: Runtime_V1_ListPodSandboxMetricsRequest) async -> Runtime_V1_ListPodSandboxMetricsResponse {
        let sandboxes = await registry.allSandboxes.filter { $0.state == .sandboxReady }
        let all = await concurrentStats(of: sandboxes) { try await self.metrics(of: $0) }
        return .with { $0.podMetrics = all.sorted { $0.podSandboxID < $1.podSandboxID } }
    }

    /// The pod's network (its own metrics, as cAdvisor reports a pod's network) and each running
    /// container's metrics, from the readings ContainerStats and PodSandboxStats use.
    func metrics(of sandbox: SandboxEntry) async throws(CRIError) -> Runtime_V1_PodSandboxMetrics {
        let handle = try await shim(of: sandbox)
        var samples = MetricSamples(labels: [sandbox.metadata.name, sandbox.metadata.namespace, "", sandbox.id, ""],
                                    timestamp: Self.now)
        for interface in await interfaceCounters(of: sandbox) {
            samples.add(.networkReceiveBytesTotal, interface.receivedBytes, interface.name)
            samples.add(.networkReceivePacketsTotal, interface.receivedPackets, interface.name)
            samples.add(.networkReceivePacketsDroppedTotal, interface.receiveDropped, interface.name)
            samples.add(.networkReceiveErrorsTotal, interface.receiveErrors, interface.name)
            samples.add(.networkTransmitBytesTotal, interface.transmittedBytes, interface.name)
            samples.add(.networkTransmitPacketsTotal, interface.transmittedPackets, interface.name)
            samples.add(.networkTransmitPacketsDroppedTotal, interface.transmitDropped, interface.name)
            samples.add(.networkTransmitErrorsTotal, interface.transmitErrors, interface.name)
        }
        let filesystem = await bestEffort("reading the capacity of the writable layers' filesystem", ["root": "\(settings.root)"]) {
            try FileSystem.capacity(of: settings.root)
        }
        var containers: [Runtime_V1_ContainerMetrics] = []
        for container in await registry.containers(inSandbox: sandbox.id) where container.state == .containerRunning {
            // One that stopped meanwhile has no cgroup left to read: it costs its own entry, and
            // the pod lists the rest.
            guard let task = await bestEffort("reading the metrics of a container", level: .debug, ["container": "\(container.id)"], {
                try await handle.call(TaskMethods.stats, .with { $0.id = container.id })
            }) else { continue }
            containers.append(.with {
                $0.containerID = container.id
                $0.metrics = metrics(of: container, in: sandbox, task: task, filesystem: filesystem)
            })
        }
        return .with {
            $0.podSandboxID = sandbox.id
            $0.metrics = samples.metrics
            $0.containerMetrics = containers.sorted { $0.containerID < $1.containerID }
        }
    }

    /// One running container's metrics: its cgroup as the shim read it, its writable layer on
    /// the filesystem under `root`, and the limits its spec asked for.
    private func metrics(of container: ContainerEntry, in sandbox: SandboxEntry, task: Corral_Shim_V1_TaskStatsResponse,
                         filesystem: FileSystemCapacity?) -> [Runtime_V1_Metric] {
        let now = Self.now
        var samples = MetricSamples(labels: [sandbox.metadata.name, sandbox.metadata.namespace, container.metadata.name,
                                             container.id, container.image],
                                    timestamp: task.hasTimestamp ? Self.nanos(task.timestamp) : now)
        samples.add(.cpuUsageSecondsTotal, MetricSamples.seconds(task.cpu.usageCoreNanos))
        samples.add(.cpuUserSecondsTotal, MetricSamples.seconds(task.cpu.userNanos))
        samples.add(.cpuSystemSecondsTotal, MetricSamples.seconds(task.cpu.systemNanos))
        samples.add(.memoryUsageBytes, task.memory.usageBytes)
        samples.add(.memoryWorkingSetBytes, task.memory.workingSetBytes)
        samples.add(.memoryRSS, task.memory.rssBytes)
        // The limit in force, as cAdvisor reads it from the cgroup; 0 when there is none.
        samples.add(.specMemoryLimitBytes, task.memory.limitBytes < UInt64(Int64.max) ? task.memory.limitBytes : 0)
        samples.add(.processes, task.pids.current)
        samples.add(.threadsMax, task.pids.limit)
        let resources = container.config.linux.resources
        if resources.cpuPeriod > 0 { samples.add(.specCPUPeriod, UInt64(resources.cpuPeriod)) }
        if resources.cpuQuota > 0 { samples.add(.specCPUQuota, UInt64(resources.cpuQuota)) }
        if resources.cpuShares > 0 { samples.add(.specCPUShares, UInt64(resources.cpuShares)) }
        samples.add(.startTimeSeconds, MetricSamples.seconds(UInt64(max(container.startedAt, 0))))
        samples.add(.lastSeen, MetricSamples.seconds(UInt64(now)))
        // The filesystem is named as ContainerStats names it: by the root the layers are under.
        let device = settings.root
        samples.add(.fsUsageBytes, Self.usage(ofUpper: container.rootfsOptions).bytes, device)
        if let filesystem {
            samples.add(.fsLimitBytes, filesystem.totalBytes, device)
            samples.add(.fsInodesTotal, filesystem.totalInodes, device)
            samples.add(.fsInodesFree, filesystem.freeInodes, device)
        }
        return samples.metrics
    }
}
