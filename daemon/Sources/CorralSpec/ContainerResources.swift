import CRIAPI
import OCISpec

/// cgroup limits from the request, as containerd's WithResources sets them; also what
/// UpdateContainerResources hands to `runc update`.
public enum ContainerResources {
    public static func make(_ resources: Runtime_V1_LinuxContainerResources, devices: [LinuxDeviceCgroup],
                     host: HostFacts) -> LinuxResources {
        var cpu = LinuxCPU()
        if resources.cpuPeriod != 0 { cpu.period = UInt64(resources.cpuPeriod) }
        if resources.cpuQuota != 0 { cpu.quota = resources.cpuQuota }
        if resources.cpuShares != 0 { cpu.shares = UInt64(resources.cpuShares) }
        if !resources.cpusetCpus.isEmpty { cpu.cpus = resources.cpusetCpus }
        if !resources.cpusetMems.isEmpty { cpu.mems = resources.cpusetMems }

        var memory = LinuxMemory()
        let limit = resources.memoryLimitInBytes
        let swap = resources.memorySwapLimitInBytes
        if limit != 0 { memory.limit = limit }
        // Without a swap limit of its own, memory+swap equals memory: no swapping by default.
        // runc cannot write a swap limit where the memory cgroup has no swap accounting.
        if host.swapAccounting {
            if swap != 0 { memory.swap = swap } else if limit != 0 { memory.swap = limit }
        }

        let hugepages = resources.hugepageLimits.map { LinuxHugepageLimit(pageSize: $0.pageSize, limit: $0.limit) }
        return LinuxResources(devices: devices, memory: memory == LinuxMemory() ? nil : memory,
                              cpu: cpu == LinuxCPU() ? nil : cpu,
                              hugepageLimits: hugepages.isEmpty ? nil : hugepages,
                              unified: resources.unified.isEmpty ? nil : resources.unified)
    }
}
