import CRIAPI
import Foundation
import Testing

/// ListPodSandboxMetrics against a real pod, as kubelet's /metrics/cadvisor reads it: each value
/// checked against the kernel's own counters, the container's cgroup files and the pod's
/// interface statistics in its network namespace, read just before and just after the call.
@Suite("pod metrics through corrald", .serialized, .enabled(if: DaemonFixture.available))
struct PodMetricsThroughDaemonTests {
    static let burner = """
        head -c 2097152 /dev/zero > /written
        x=a; i=0; while [ $i -lt 24 ]; do x="$x$x"; i=$((i+1)); done
        while [ $(cat /sys/fs/cgroup/cpuacct/cpuacct.usage) -lt 2200000000 ]; do
          i=0; while [ $i -lt 20000 ]; do i=$((i+1)); done
        done
        touch /ready
        sleep 3600 & wait
        """

    static let interfaceFiles = ["rx_bytes", "rx_packets", "rx_dropped", "rx_errors", "tx_bytes", "tx_packets", "tx_dropped", "tx_errors"]

    @Test("CPU, memory, processes, writable layer, limits and network match the cgroup and the netns")
    func metricsMatchTheKernel() async throws {
        try await DaemonFixture.with { daemon in
            var config = daemon.containerConfig("burner", ["sh", "-c", Self.burner])
            config.linux.resources.cpuPeriod = 100_000
            config.linux.resources.cpuQuota = 150_000
            config.linux.resources.cpuShares = 512
            config.linux.resources.memoryLimitInBytes = 256 << 20
            let (pod, ctr, _) = try await daemon.runPodWith(config, podName: "metered")
            let deadline = ContinuousClock.now + .seconds(60)
            while try await daemon.runtime.execSync(.with { $0.containerID = ctr; $0.cmd = ["test", "-f", "/ready"]; $0.timeout = 10 })
                .exitCode != 0 {
                guard ContinuousClock.now < deadline else { throw TestFailure("the container never burned its 2.2 s of CPU") }
                try await Task.sleep(for: .milliseconds(200))
            }
            let gateway = daemon.subnet.split(separator: ".").prefix(3).joined(separator: ".") + ".1"
            // Traffic on eth0 both ways. One packet: a second waits on SIGALRM, which an exec's
            // process may find blocked.
            _ = try await daemon.runtime.execSync(.with { $0.containerID = ctr; $0.cmd = ["ping", "-c", "1", "-W", "2", gateway]; $0.timeout = 10 })
            let initPID = try await daemon.initPID(of: ctr)
            let cpuacct = try Cgroup(of: initPID, controller: "cpuacct")
            let memory = try Cgroup(of: initPID, controller: "memory")

            let networkBefore = try await Self.interfaceStatistics(daemon, ctr)
            let cpuBefore = try #require(cpuacct.read("cpuacct.usage").flatMap { UInt64($0) })
            let sent = daemon.nanosNow
            let response = try await daemon.runtime.listPodSandboxMetrics(.init())
            let cpuAfter = try #require(cpuacct.read("cpuacct.usage").flatMap { UInt64($0) })
            let networkAfter = try await Self.interfaceStatistics(daemon, ctr)
            let usage = try #require(memory.read("memory.usage_in_bytes").flatMap { UInt64($0) })
            let stat = Self.keyed(memory.read("memory.stat") ?? "")

            let podMetrics = try #require(response.podMetrics.first { $0.podSandboxID == pod })
            let containerMetrics = try #require(podMetrics.containerMetrics.first { $0.containerID == ctr }).metrics
            let descriptors = try await daemon.runtime.listMetricDescriptors(.init()).descriptors
            let keys = Dictionary(uniqueKeysWithValues: descriptors.map { ($0.name, $0.labelKeys) })
            for metric in podMetrics.metrics + containerMetrics {
                #expect(keys[metric.name]?.count == metric.labelValues.count, "\(metric.name) has no descriptor that fits it")
                #expect(abs(metric.timestamp - sent) < 60_000_000_000, "\(metric.name) at \(metric.timestamp)")
            }
            #expect(keys["container_cpu_usage_seconds_total"] == ["pod", "namespace", "container", "id", "image"])

            func value(_ name: String) -> Runtime_V1_Metric? { containerMetrics.first { $0.name == name } }
            let cpu = try #require(value("container_cpu_usage_seconds_total"))
            #expect(cpu.labelValues == ["metered", "default", "burner", ctr, "busybox"])
            #expect(cpu.metricType == .counter)
            #expect(cpu.value.value >= 2)
            #expect((cpuBefore / 1_000_000_000...cpuAfter / 1_000_000_000).contains(cpu.value.value),
                    "cpuacct.usage \(cpuBefore)...\(cpuAfter) ns, metric \(cpu.value.value) s")
            let user = value("container_cpu_user_seconds_total")?.value.value ?? 0
            let system = value("container_cpu_system_seconds_total")?.value.value ?? 0
            #expect(user + system >= 1 && user + system <= cpu.value.value + 1, "user \(user) s, system \(system) s")

            // Gauges move between two reads; within 2 MiB of the cgroup's files.
            func near(_ metric: String, _ expected: UInt64) {
                let got = value(metric)?.value.value ?? 0
                #expect(value(metric)?.metricType == .gauge)
                #expect(max(got, expected) - min(got, expected) <= 2 << 20, "\(metric) \(got), cgroup \(expected)")
            }
            #expect(usage > 16 << 20, "the 16 MiB the shell holds are charged to the container")
            near("container_memory_usage_bytes", usage)
            near("container_memory_working_set_bytes", usage - min(usage, stat["total_inactive_file"] ?? 0))
            near("container_memory_rss", stat["total_rss"] ?? 0)
            #expect(value("container_spec_memory_limit_bytes")?.value.value == 256 << 20)
            #expect(memory.read("memory.limit_in_bytes") == String(256 << 20))
            #expect(value("container_spec_cpu_quota")?.value.value == 150_000)
            #expect(value("container_spec_cpu_period")?.value.value == 100_000)
            #expect(value("container_spec_cpu_shares")?.value.value == 512)
            #expect(value("container_processes")?.value.value == 2, "the shell and its sleep")
            let status = try await daemon.containerState(ctr)
            #expect(value("container_start_time_seconds")?.value.value == UInt64(status.startedAt / 1_000_000_000))

            let written = try #require(value("container_fs_usage_bytes"))
            #expect(written.labelValues.last == daemon.root)
            #expect(written.value.value >= 2 << 20)
            #expect(value("container_fs_limit_bytes")?.value.value ?? 0 > written.value.value)

            // The pod's own metrics: its interface, with the pod's id and no container or image.
            for (index, file) in Self.interfaceFiles.enumerated() {
                let name = "container_network_" + (file.hasPrefix("rx") ? "receive_" : "transmit_")
                    + ["bytes": "bytes", "packets": "packets", "dropped": "packets_dropped", "errors": "errors"][String(file.dropFirst(3))]!
                    + "_total"
                let metric = try #require(podMetrics.metrics.first { $0.name == name && $0.labelValues.last == "eth0" }, "\(name)")
                #expect(metric.labelValues == ["metered", "default", "", pod, "", "eth0"])
                #expect(metric.metricType == .counter)
                #expect((networkBefore[index]...networkAfter[index]).contains(metric.value.value),
                        "\(name): \(metric.value.value), sysfs \(networkBefore[index])...\(networkAfter[index])")
            }
            #expect(networkAfter[5] >= 1 && networkAfter[1] >= 1, "the ping went out on eth0 and its answer came in")
            #expect(!podMetrics.metrics.contains { $0.labelValues.last == "lo" })

            // PodSandboxStats reads the same counters.
            let stats = try await daemon.runtime.podSandboxStats(.with { $0.podSandboxID = pod }).stats.linux.network
            #expect(stats.defaultInterface.name == "eth0")
            #expect(stats.defaultInterface.rxBytes.value >= networkBefore[0])
        }
    }

    /// eth0's counters as the pod's network namespace shows them in sysfs, in `interfaceFiles` order.
    static func interfaceStatistics(_ daemon: DaemonFixture, _ container: String) async throws -> [UInt64] {
        let read = try await daemon.runtime.execSync(.with {
            $0.containerID = container
            $0.cmd = ["cat"] + interfaceFiles.map { "/sys/class/net/eth0/statistics/" + $0 }
            $0.timeout = 10
        })
        let numbers = String(decoding: read.stdout, as: UTF8.self).split(separator: "\n").compactMap { UInt64($0) }
        guard numbers.count == interfaceFiles.count else { throw TestFailure("eth0's statistics: \(read)") }
        return numbers
    }

    static func keyed(_ text: String) -> [String: UInt64] {
        Dictionary(text.split(separator: "\n").compactMap { line in
            let parts = line.split(separator: " ")
            return parts.count == 2 ? UInt64(parts[1]).map { (String(parts[0]), $0) } : nil
        }, uniquingKeysWith: { $1 })
    }
}

extension DaemonFixture {
    var nanosNow: Int64 { Int64(Date().timeIntervalSince1970 * 1e9) }
}
