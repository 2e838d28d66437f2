import ShimCgroups
import Testing
import TestSupport

/// Stats and OOM counts from files fabricated in the shape each version writes them.
@Suite("cgroup stats from fabricated files")
struct StatsParsingTests {
    @Test func v2FilesGiveMicrosecondsAsNanosAndWorkingSetWithoutInactiveFiles() throws {
        let dir = try TemporaryDirectory()
        try dir.file("cpu.stat", "usage_usec 1500\nuser_usec 1000\nsystem_usec 500\nnr_periods 10\nnr_throttled 2\nthrottled_usec 300\n")
        try dir.file("memory.current", "10000000\n")
        try dir.file("memory.stat", "anon 4000000\nfile 5000000\ninactive_file 3000000\npgfault 77\npgmajfault 3\n")
        try dir.file("memory.max", "max\n")
        try dir.file("memory.swap.current", "4096\n")
        try dir.file("pids.current", "3\n")
        try dir.file("pids.max", "max\n")
        let paths = CgroupLayout.v2(at: dir.path).paths(forCgroupsPath: "/")

        let stats = CgroupStats.read(paths)
        #expect(stats.cpu.usageNanos == 1_500_000)
        #expect(stats.cpu.userNanos == 1_000_000)
        #expect(stats.cpu.systemNanos == 500_000)
        #expect(stats.cpu.periods == 10 && stats.cpu.throttledPeriods == 2 && stats.cpu.throttledNanos == 300_000)
        #expect(stats.memory.usageBytes == 10_000_000)
        #expect(stats.memory.workingSetBytes == 7_000_000)
        #expect(stats.memory.rssBytes == 4_000_000)
        #expect(stats.memory.cacheBytes == 5_000_000)
        #expect(stats.memory.swapBytes == 4096)
        #expect(stats.memory.pageFaults == 77 && stats.memory.majorPageFaults == 3)
        #expect(stats.memory.limitBytes == nil && stats.memory.availableBytes == nil)
        #expect(stats.pids.current == 3 && stats.pids.limit == nil)

        try dir.file("memory.max", "20971520\n")
        try dir.file("pids.max", "64\n")
        let limited = CgroupStats.read(paths)
        #expect(limited.memory.limitBytes == 20_971_520)
        #expect(limited.memory.availableBytes == 20_971_520 - 7_000_000)
        #expect(limited.pids.limit == 64)
    }

    @Test func workingSetNeverGoesBelowZero() throws {
        let dir = try TemporaryDirectory()
        try dir.file("memory.current", "1000\n")
        try dir.file("memory.stat", "inactive_file 5000\n")
        let stats = CgroupStats.read(CgroupLayout.v2(at: dir.path).paths(forCgroupsPath: "/"))
        #expect(stats.memory.usageBytes == 1000)
        #expect(stats.memory.workingSetBytes == 0)
    }

    @Test func v1FilesUseHierarchicalTotalsAndTreatHugeLimitsAsNone() throws {
        let dir = try TemporaryDirectory()
        try dir.file("cpuacct/cpuacct.usage", "123456789\n")
        try dir.file("cpuacct/cpuacct.usage_user", "100000000\n")
        try dir.file("cpuacct/cpuacct.usage_sys", "23456789\n")
        try dir.file("cpu/cpu.stat", "nr_periods 4\nnr_throttled 1\nthrottled_time 5000\n")
        try dir.file("memory/memory.usage_in_bytes", "8388608\n")
        try dir.file("memory/memory.memsw.usage_in_bytes", "8392704\n")
        try dir.file("memory/memory.limit_in_bytes", "9223372036854771712\n")
        try dir.file("memory/memory.stat", """
            cache 1
            rss 2
            inactive_file 3
            pgfault 4
            total_cache 2097152
            total_rss 4194304
            total_inactive_file 1048576
            total_pgfault 900
            total_pgmajfault 7

            """)
        try dir.file("pids/pids.current", "2\n")
        try dir.file("pids/pids.max", "max\n")
        let paths = CgroupPaths(legacy: ["cpu": dir.path + "/cpu", "cpuacct": dir.path + "/cpuacct",
                                         "memory": dir.path + "/memory", "pids": dir.path + "/pids"])

        let stats = CgroupStats.read(paths)
        #expect(stats.cpu.usageNanos == 123_456_789)
        #expect(stats.cpu.userNanos == 100_000_000 && stats.cpu.systemNanos == 23_456_789)
        #expect(stats.cpu.periods == 4 && stats.cpu.throttledPeriods == 1 && stats.cpu.throttledNanos == 5000)
        #expect(stats.memory.usageBytes == 8_388_608)
        #expect(stats.memory.workingSetBytes == 8_388_608 - 1_048_576)
        #expect(stats.memory.rssBytes == 4_194_304 && stats.memory.cacheBytes == 2_097_152)
        #expect(stats.memory.pageFaults == 900 && stats.memory.majorPageFaults == 7)
        #expect(stats.memory.swapBytes == 4096)
        #expect(stats.memory.limitBytes == nil)
        #expect(stats.pids.current == 2 && stats.pids.limit == nil)

        try dir.file("memory/memory.limit_in_bytes", "16777216\n")
        #expect(CgroupStats.read(paths).memory.limitBytes == 16_777_216)
    }

    @Test func v1WithoutPerModeUsageFallsBackToTicks() throws {
        let dir = try TemporaryDirectory()
        try dir.file("cpuacct.usage", "5\n")
        try dir.file("cpuacct.stat", "user 12\nsystem 3\n")
        let stats = CgroupStats.read(CgroupPaths(legacy: ["cpuacct": dir.path]))
        #expect(stats.cpu.usageNanos == 5)
        #expect(stats.cpu.userNanos == 120_000_000 && stats.cpu.systemNanos == 30_000_000)
    }

    @Test func missingFilesAndDirectoriesReadAsZero() throws {
        let dir = try TemporaryDirectory()
        #expect(CgroupStats.read(CgroupLayout.v2(at: dir.path).paths(forCgroupsPath: "/")) == CgroupStats())
        #expect(CgroupStats.read(CgroupPaths(legacy: ["memory": dir.path + "/gone", "cpuacct": dir.path + "/gone"]))
                == CgroupStats())
        #expect(CgroupStats.read(CgroupPaths()) == CgroupStats())
        #expect(CgroupPaths(unified: dir.path + "/gone").oomKillCount() == 0)
    }

    @Test func oomKillCountsComeFromOomControlOrMemoryEvents() throws {
        let dir = try TemporaryDirectory()
        try dir.file("v1/memory.oom_control", "oom_kill_disable 0\nunder_oom 0\noom_kill 2\n")
        try dir.file("v2/memory.events", "low 0\nhigh 0\nmax 9\noom 4\noom_kill 3\noom_group_kill 0\n")
        #expect(CgroupPaths(legacy: ["memory": dir.path + "/v1"]).oomKillCount() == 2)
        #expect(CgroupLayout.v2(at: dir.path + "/v2").paths(forCgroupsPath: "/").oomKillCount() == 3)
    }
}
