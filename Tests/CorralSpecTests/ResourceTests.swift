import CorralSpec
import CRIAPI
import OCISpec
import Testing

@Suite("Resources and cgroups path")
struct ResourceTests {
    @Test func cpuAndMemory() throws {
        let result = try spec(makeInput {
            $0.linux.resources.cpuShares = 512
            $0.linux.resources.cpuQuota = 50000
            $0.linux.resources.cpuPeriod = 100_000
            $0.linux.resources.cpusetCpus = "0-1"
            $0.linux.resources.cpusetMems = "0"
            $0.linux.resources.memoryLimitInBytes = 64 << 20
        })
        let resources = try #require(result.linux?.resources)
        #expect(resources.cpu == LinuxCPU(shares: 512, quota: 50000, period: 100_000, cpus: "0-1", mems: "0"))
        #expect(resources.memory == LinuxMemory(limit: 64 << 20, swap: 64 << 20))
        #expect(result.linux?.cgroupsPath == "/corral/pod/c0ffee")
    }

    @Test func swapLimitOfItsOwn() throws {
        let result = try spec(makeInput {
            $0.linux.resources.memoryLimitInBytes = 64 << 20
            $0.linux.resources.memorySwapLimitInBytes = 128 << 20
        })
        #expect(result.linux?.resources?.memory == LinuxMemory(limit: 64 << 20, swap: 128 << 20))
    }

    @Test func noSwapWithoutSwapAccounting() throws {
        var input = makeInput { $0.linux.resources.memoryLimitInBytes = 64 << 20 }
        input.host.swapAccounting = false
        #expect(try spec(input).linux?.resources?.memory == LinuxMemory(limit: 64 << 20))
    }

    @Test func nothingRequestedNothingSet() throws {
        let resources = try spec(makeInput()).linux?.resources
        #expect(resources?.cpu == nil)
        #expect(resources?.memory == nil)
        #expect(resources?.hugepageLimits == nil)
        #expect(resources?.unified == nil)
    }

    @Test func hugepagesAndUnified() throws {
        let result = try spec(makeInput {
            var limit = Runtime_V1_HugepageLimit()
            limit.pageSize = "2MB"
            limit.limit = 4 << 20
            $0.linux.resources.hugepageLimits = [limit]
            $0.linux.resources.unified = ["memory.high": "1000000"]
        })
        #expect(result.linux?.resources?.hugepageLimits == [LinuxHugepageLimit(pageSize: "2MB", limit: 4 << 20)])
        #expect(result.linux?.resources?.unified == ["memory.high": "1000000"])
    }

    @Test(arguments: [
        ("cpu_shares", Int64(-2)), ("cpu_quota", -5), ("cpu_period", -1),
        ("memory_limit_in_bytes", -1), ("memory_swap_limit_in_bytes", -2),
    ])
    func negativeValuesAreRefused(field: String, value: Int64) {
        let input = makeInput {
            switch field {
            case "cpu_shares": $0.linux.resources.cpuShares = value
            case "cpu_quota": $0.linux.resources.cpuQuota = value
            case "cpu_period": $0.linux.resources.cpuPeriod = value
            case "memory_limit_in_bytes": $0.linux.resources.memoryLimitInBytes = value
            default: $0.linux.resources.memorySwapLimitInBytes = value
            }
        }
        #expect(specError { try makeContainerSpec(input) }
                == .invalidArgument("linux.resources.\(field) \(value): must not be negative"))
    }

    @Test func unlimitedQuotaPasses() throws {
        let result = try spec(makeInput { $0.linux.resources.cpuQuota = -1 })
        #expect(result.linux?.resources?.cpu?.quota == -1)
    }

    @Test func oomScoreAdjOutOfRange() {
        let input = makeInput { $0.linux.resources.oomScoreAdj = 1001 }
        #expect(specError { try makeContainerSpec(input) }
                == .invalidArgument("linux.resources.oom_score_adj 1001: must be within -1000…1000"))
    }
}
