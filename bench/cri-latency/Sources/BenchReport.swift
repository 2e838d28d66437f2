import BenchCRIClient
import BenchSupport
import Foundation

/// One run against one endpoint: what `--json` writes and `compare` reads.
struct BenchReport: JSONReport, Sendable {
    var name: String
    var endpoint: String
    var runtime: String
    var runs: Int
    var image: String
    /// Containers in each pod when the pods were stopped and removed.
    var containersPerPodAtStop: Int
    var serverPID: Int32?
    /// The server's VmRSS after the image pull, before any pod (kB).
    var idleRSSKiB: Int?
    /// The server's VmRSS with every container of the scenario running (kB).
    var loadedRSSKiB: Int?
    var loadedContainers: Int
    /// The untimed pod started before the runs, which pays one-off costs (a pause image pull,
    /// lazily opened stores) that would otherwise land in the first sample.
    var warmupPodStartMs: Double?
    /// HTTP/2 connections the client used (see CRISession for why more than one).
    var connectionsOpened: Int
    var entries: [MetricEntry]

    func entry(_ metric: Metric) -> MetricEntry? {
        entries.first { $0.metric == metric }
    }
}
