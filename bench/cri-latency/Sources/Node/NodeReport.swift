import BenchSupport

/// One runtime's run of `node`: what `--json` writes and `node compare` reads.
struct NodeReport: JSONReport, Sendable {
    struct Burst: Codable, Sendable {
        var pods: Int
        var clients: Int
        /// From the first RunPodSandbox until the runtime listed every container running.
        var seconds: Double
        /// RunPodSandbox + CreateContainer + StartContainer of each pod, under the burst.
        var podStart: MetricEntry
    }

    struct Steady: Codable, Sendable {
        /// The runtime's processes over the window.
        var cpu: CPUWindow
        /// Ticks of either schedule that started over 100 ms late.
        var lateTicks: Int
        /// Calls the runtime answered UNIMPLEMENTED, left out from then on.
        var unimplemented: [String]
        var calls: [MetricEntry]

        func entry(_ metric: Metric) -> MetricEntry? { calls.first { $0.metric == metric } }
    }

    struct Restart: Codable, Sendable {
        /// From the kill until the daemon was gone (or a zombie).
        var goneSeconds: Double
        /// Then until init reaped it, before it was started again; left out of the times below.
        var reapWaitSeconds: Double
        /// From the kill until its socket accepted a connection again.
        var acceptingSeconds: Double
        /// From the kill until every pod was listed ready and every container running.
        var listedSeconds: Double
        /// From the kill until, on top of that, an ExecSync into the last pod answered.
        var reconciledSeconds: Double
    }

    struct ListCPU: Codable, Sendable {
        var containers: Int
        var calls: Int
        var serverMicrosPerCall: Int?
        var clientMicrosPerCall: Int
        var latency: MetricEntry
    }

    var name: String
    var endpoint: String
    var runtime: String
    var image: String
    var burst: Burst
    var steady: Steady
    /// Taken right after the steady state's window, the node still at `burst.pods` pods.
    var memory: NodeMemory
    /// nil when the run was told not to restart the daemon.
    var restart: Restart?
    var list: ListCPU
}
