import CRIAPI
@testable import CorralDaemon
import ShimAPI
import SwiftProtobuf
import TTRPC
import Testing

/// ListMetricDescriptors and ListPodSandboxMetrics against fakes: cAdvisor's names, types and
/// labels, and each value from the shim's reading of the container's cgroup.
@Suite("pod sandbox metrics")
struct PodSandboxMetricsTests {
    static let reading = Corral_Shim_V1_TaskStatsResponse.with {
        $0.timestamp = Google_Protobuf_Timestamp(seconds: 1_700_000_000, nanos: 5)
        $0.cpu = .with { $0.usageCoreNanos = 7_900_000_000; $0.userNanos = 5_200_000_000; $0.systemNanos = 2_700_000_000 }
        $0.memory = .with { $0.usageBytes = 64 << 20; $0.workingSetBytes = 48 << 20; $0.rssBytes = 40 << 20; $0.limitBytes = 128 << 20 }
        $0.pids = .with { $0.current = 3; $0.limit = 0 }
    }

    /// A fixture whose shims answer Task.Stats with `reading`.
    static func measured() async throws -> ServiceFixture {
        let fixture = try await ServiceFixture()
        await fixture.shims.set(prepare: { connection in
            FakeShimConnection.startsSandboxes(connection)
            connection.answer(TaskMethods.stats, with: reading)
        })
        return fixture
    }

    @Test func theDescriptorsAreCadvisorsWithTheirLabels() async throws {
        let descriptors = try await ServiceFixture().service.listMetricDescriptors(.init()).descriptors
        let byName = Dictionary(uniqueKeysWithValues: descriptors.map { ($0.name, $0) })
        #expect(byName.count == descriptors.count, "each name once")
        for name in ["container_cpu_usage_seconds_total", "container_memory_usage_bytes", "container_memory_working_set_bytes",
                     "container_network_receive_bytes_total", "container_network_transmit_bytes_total", "container_fs_usage_bytes"] {
            #expect(byName[name]?.help.isEmpty == false, "\(name)")
        }
        #expect(descriptors.allSatisfy { Array($0.labelKeys.prefix(5)) == ["pod", "namespace", "container", "id", "image"] })
        #expect(byName["container_network_receive_bytes_total"]?.labelKeys.last == "interface")
        #expect(byName["container_fs_usage_bytes"]?.labelKeys.last == "device")
        #expect(byName["container_memory_rss"]?.labelKeys.count == 5)
    }

    @Test func aRunningContainersCgroupReadingBecomesItsMetrics() async throws {
        let fixture = try await Self.measured()
        let pod = try await fixture.runPod("web")
        var config = fixture.containerConfig("app")
        config.linux.resources.cpuPeriod = 100_000
        config.linux.resources.cpuQuota = 50_000
        let app = try await fixture.runContainer(in: pod, config)
        // Created but never started: no cgroup, no metrics.
        _ = try await fixture.service.createContainer(.with { $0.podSandboxID = pod; $0.config = fixture.containerConfig("idle") })

        let response = await fixture.service.listPodSandboxMetrics(.init())
        let podMetrics = try #require(response.podMetrics.first)
        #expect(response.podMetrics.map(\.podSandboxID) == [pod])
        #expect(podMetrics.containerMetrics.map(\.containerID) == [app])
        let metrics = try #require(podMetrics.containerMetrics.first).metrics
        let values = Dictionary(metrics.map { ($0.name, $0.value.value) }, uniquingKeysWith: { first, _ in first })
        #expect(values["container_cpu_usage_seconds_total"] == 7)
        #expect(values["container_cpu_user_seconds_total"] == 5)
        #expect(values["container_cpu_system_seconds_total"] == 2)
        #expect(values["container_memory_usage_bytes"] == 64 << 20)
        #expect(values["container_memory_working_set_bytes"] == 48 << 20)
        #expect(values["container_memory_rss"] == 40 << 20)
        #expect(values["container_spec_memory_limit_bytes"] == 128 << 20)
        #expect(values["container_processes"] == 3)
        #expect(values["container_threads_max"] == 0)
        #expect(values["container_spec_cpu_period"] == 100_000 && values["container_spec_cpu_quota"] == 50_000)
        #expect(values["container_spec_cpu_shares"] == nil, "a share the spec did not ask for is not reported")
        #expect(values["container_fs_usage_bytes"] != nil && values["container_fs_limit_bytes"] ?? 0 > 0)

        let cpu = try #require(metrics.first { $0.name == "container_cpu_usage_seconds_total" })
        #expect(cpu.labelValues == ["web", "default", "app", app, "busybox"])
        #expect(cpu.timestamp == 1_700_000_000_000_000_005, "the time of the cgroup's reading")
        #expect(cpu.metricType == .counter)
        #expect(metrics.first { $0.name == "container_memory_usage_bytes" }?.metricType == .gauge)
        let keys = Dictionary(uniqueKeysWithValues: fixture.service.listMetricDescriptors(.init()).descriptors.map { ($0.name, $0.labelKeys) })
        for metric in metrics + podMetrics.metrics {
            #expect(keys[metric.name]?.count == metric.labelValues.count, "\(metric.name): \(metric.labelValues)")
        }
    }

    @Test func aFailingReadingCostsItsContainerAndAnUnreachableShimItsPod() async throws {
        let fixture = try await Self.measured()
        let healthy = try await fixture.runPod("healthy")
        let broken = try await fixture.runPod("broken")
        for pod in [healthy, broken] { _ = try await fixture.runContainer(in: pod, fixture.containerConfig("app")) }
        await fixture.shims.connection(broken).fail(TaskMethods.stats, RPCError(.notFound, "task not found"))
        let response = await fixture.service.listPodSandboxMetrics(.init())
        #expect(Set(response.podMetrics.map(\.podSandboxID)) == [healthy, broken])
        #expect(response.podMetrics.first { $0.podSandboxID == healthy }?.containerMetrics.count == 1)
        #expect(response.podMetrics.first { $0.podSandboxID == broken }?.containerMetrics.isEmpty == true)

        await fixture.shims.forget(broken)
        await fixture.shims.set(connectFailure: CRIError(.deadlineExceeded, "connecting took over 2s"))
        #expect(await fixture.service.listPodSandboxMetrics(.init()).podMetrics.map(\.podSandboxID) == [healthy])
        _ = try await fixture.service.stopPodSandbox(.with { $0.podSandboxID = healthy })
        #expect(await fixture.service.listPodSandboxMetrics(.init()).podMetrics.isEmpty, "a pod that is not ready has none")
    }
}
