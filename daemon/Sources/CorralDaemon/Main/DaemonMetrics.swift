import CRIAPI
import CorralConfig
import Logging
import Metrics
import NIOCore
import Prometheus
import ShimAPI

/// corrald's Prometheus side. Bootstrapped before anything records (the image store counts a
/// garbage collection as it opens), served once the daemon is up. Metrics recorded as things
/// happen: CRI and shim call latencies and errors, image pulls and their bytes, GC runs.
/// Counted at each scrape: pods and containers by state, shims, and the shims' memory as each
/// shim's Debug service reports it.
struct DaemonMetrics {
    let address: (host: String, port: Int)
    let prometheus: PrometheusCollectorRegistry

    /// nil when `[metrics] address` is empty: every metric then goes nowhere.
    static func bootstrap(_ config: DaemonConfig) -> DaemonMetrics? {
        guard !config.metrics.address.isEmpty, let address = MetricsServer.split(config.metrics.address) else { return nil }
        let prometheus = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: prometheus))
        return DaemonMetrics(address: address, prometheus: prometheus)
    }

    func serve(registry: PodRegistry, shims: ShimManager, logger: Logger) async throws -> any Channel {
        let server = MetricsServer(registry: prometheus) {
            await Self.count(registry: registry)
            await Self.measureShims(shims)
        }
        let channel = try await server.start(host: address.host, port: address.port)
        logger.info("serving metrics", metadata: ["address": "\(address.host):\(address.port)"])
        return channel
    }

    private static func count(registry: PodRegistry) async {
        let pods = await registry.allSandboxes
        let containers = await registry.allContainers
        Gauge(label: "corral_pods", dimensions: [("state", "ready")]).record(pods.filter { $0.state == .sandboxReady }.count)
        Gauge(label: "corral_pods", dimensions: [("state", "notready")]).record(pods.filter { $0.state != .sandboxReady }.count)
        for (state, name) in [(Runtime_V1_ContainerState.containerCreated, "created"), (.containerRunning, "running"),
                              (.containerExited, "exited"), (.containerUnknown, "unknown")] {
            Gauge(label: "corral_containers", dimensions: [("state", name)]).record(containers.filter { $0.state == state }.count)
        }
    }

    /// Asks every shim for its memory at once, each with a short deadline: a hung shim costs
    /// the scrape a second, not the scrape itself.
    private static func measureShims(_ shims: ShimManager) async {
        let handles = await shims.allHandles
        Gauge(label: "corral_shims_connected").record(handles.count)
        let reports = await withTaskGroup(of: Corral_Shim_V1_InfoResponse?.self) { group in
            for handle in handles {
                // A shim that does not answer within the second is left out of the sum, not waited for.
                group.addTask { try? await handle.call(DebugMethods.info, .init(), timeout: .seconds(1)) }
            }
            var answers: [Corral_Shim_V1_InfoResponse] = []
            for await answer in group { if let answer { answers.append(answer) } }
            return answers
        }
        Gauge(label: "corral_shims_answering").record(reports.count)
        Gauge(label: "corral_shim_memory_bytes", dimensions: [("kind", "rss")]).record(reports.reduce(0) { $0 + $1.vmRssBytes })
        Gauge(label: "corral_shim_memory_bytes", dimensions: [("kind", "pss")]).record(reports.reduce(0) { $0 + $1.pssBytes })
    }
}
