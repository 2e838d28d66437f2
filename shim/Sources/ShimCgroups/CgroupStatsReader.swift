extension CgroupStats {
    /// Reads CPU, memory and pids counters of the cgroup at `paths`, each controller from its
    /// own hierarchy (v1) or the unified directory (v2).
    public static func read(_ paths: CgroupPaths) -> CgroupStats {
        var stats = CgroupStats()
        if let (cpuacct, version) = paths.directory(for: "cpuacct") {
            stats.cpu = version == .v1 ? readV1CPU(cpuacct: cpuacct, cpu: paths.legacy["cpu"]) : readV2CPU(cpuacct)
        }
        if let (memory, version) = paths.directory(for: "memory") {
            stats.memory = version == .v1 ? readV1Memory(memory) : readV2Memory(memory)
        }
        if let (pids, _) = paths.directory(for: "pids") {
            stats.pids = readPids(pids)
        }
        return stats
    }

    static func readV1CPU(cpuacct: String, cpu: String?) -> CPU {
        var result = CPU()
        result.usageNanos = CgroupFiles.number(cpuacct + "/cpuacct.usage") ?? 0
        if let user = CgroupFiles.number(cpuacct + "/cpuacct.usage_user"),
           let system = CgroupFiles.number(cpuacct + "/cpuacct.usage_sys") {
            result.userNanos = user
            result.systemNanos = system
        } else {
            // Older kernels only have cpuacct.stat, in USER_HZ ticks (always 100 per second there).
            let ticks = CgroupFiles.keyed(cpuacct + "/cpuacct.stat")
            result.userNanos = (ticks["user"] ?? 0) * 10_000_000
            result.systemNanos = (ticks["system"] ?? 0) * 10_000_000
        }
        if let cpu {
            let throttling = CgroupFiles.keyed(cpu + "/cpu.stat")
            result.periods = throttling["nr_periods"] ?? 0
            result.throttledPeriods = throttling["nr_throttled"] ?? 0
            result.throttledNanos = throttling["throttled_time"] ?? 0
        }
        return result
    }

    static func readV2CPU(_ directory: String) -> CPU {
        let values = CgroupFiles.keyed(directory + "/cpu.stat")
        var result = CPU()
        result.usageNanos = (values["usage_usec"] ?? 0) * 1000
        result.userNanos = (values["user_usec"] ?? 0) * 1000
        result.systemNanos = (values["system_usec"] ?? 0) * 1000
        result.periods = values["nr_periods"] ?? 0
        result.throttledPeriods = values["nr_throttled"] ?? 0
        result.throttledNanos = (values["throttled_usec"] ?? 0) * 1000
        return result
    }

    static func readV1Memory(_ directory: String) -> Memory {
        let stat = CgroupFiles.keyed(directory + "/memory.stat")
        var result = Memory()
        result.usageBytes = CgroupFiles.number(directory + "/memory.usage_in_bytes") ?? 0
        // The total_ counters include child cgroups, as usage_in_bytes does.
        let inactiveFile = stat["total_inactive_file"] ?? stat["inactive_file"] ?? 0
        result.workingSetBytes = result.usageBytes > inactiveFile ? result.usageBytes - inactiveFile : 0
        result.rssBytes = stat["total_rss"] ?? stat["rss"] ?? 0
        result.cacheBytes = stat["total_cache"] ?? stat["cache"] ?? 0
        result.pageFaults = stat["total_pgfault"] ?? stat["pgfault"] ?? 0
        result.majorPageFaults = stat["total_pgmajfault"] ?? stat["pgmajfault"] ?? 0
        // memsw counts memory plus swap; it exists only with swap accounting enabled.
        if let memsw = CgroupFiles.number(directory + "/memory.memsw.usage_in_bytes") {
            result.swapBytes = memsw > result.usageBytes ? memsw - result.usageBytes : 0
        }
        result.limitBytes = CgroupFiles.number(directory + "/memory.limit_in_bytes").flatMap(v1Limit)
        return result
    }

    static func readV2Memory(_ directory: String) -> Memory {
        let stat = CgroupFiles.keyed(directory + "/memory.stat")
        var result = Memory()
        result.usageBytes = CgroupFiles.number(directory + "/memory.current") ?? 0
        let inactiveFile = stat["inactive_file"] ?? 0
        result.workingSetBytes = result.usageBytes > inactiveFile ? result.usageBytes - inactiveFile : 0
        result.rssBytes = stat["anon"] ?? 0
        result.cacheBytes = stat["file"] ?? 0
        result.pageFaults = stat["pgfault"] ?? 0
        result.majorPageFaults = stat["pgmajfault"] ?? 0
        result.swapBytes = CgroupFiles.number(directory + "/memory.swap.current") ?? 0
        if case .value(let limit) = CgroupFiles.limit(directory + "/memory.max") { result.limitBytes = limit }
        return result
    }

    static func readPids(_ directory: String) -> Pids {
        var result = Pids()
        result.current = CgroupFiles.number(directory + "/pids.current") ?? 0
        if case .value(let limit) = CgroupFiles.limit(directory + "/pids.max") { result.limit = limit }
        return result
    }

    /// v1 has no "max": no limit reads as LONG_MAX rounded down to a page (0x7FFFFFFFFFFFF000
    /// with 4 KiB pages), so anything that large means none.
    private static func v1Limit(_ value: UInt64) -> UInt64? {
        value >= 1 << 62 ? nil : value
    }
}
