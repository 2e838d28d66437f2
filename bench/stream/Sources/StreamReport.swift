import BenchSupport
import Foundation

/// One run against one endpoint: what `--json` writes and `compare` reads.
struct StreamReport: JSONReport, Sendable {
    var name: String
    var endpoint: String
    var runtime: String
    /// Bytes moved by each port-forward transfer.
    var transferBytes: Int
    /// Exec round trips of `true`, in milliseconds.
    var execMs: [Double]
    /// ExecSync of `true` (no streaming server), in milliseconds: the runtime's exec alone.
    var execSyncMs: [Double]
    /// Port-forward throughput, pod to client and client to pod, in MiB/s.
    var downloadMiBps: [Double]
    var uploadMiBps: [Double]

    var execMedianMs: Double { Self.median(execMs) }
    var execSyncMedianMs: Double { Self.median(execSyncMs) }
    var downloadMedianMiBps: Double { Self.median(downloadMiBps) }
    var uploadMedianMiBps: Double { Self.median(uploadMiBps) }

    static func median(_ samples: [Double]) -> Double {
        let sorted = samples.sorted()
        guard !sorted.isEmpty else { return 0 }
        let middle = sorted.count / 2
        return sorted.count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
    }

    /// The run on its own, for the terminal.
    var table: String {
        let samples = { (values: [Double]) in values.map { String(format: "%.0f", $0) }.joined(separator: " ") }
        return """
            \(name) (\(runtime)) at \(endpoint)
              exec `true` round trip: median \(String(format: "%.1f", execMedianMs)) ms, \
            min \(String(format: "%.1f", execMs.min() ?? 0)), max \(String(format: "%.1f", execMs.max() ?? 0)) \
            (\(execMs.count) runs); ExecSync of `true`: median \(String(format: "%.1f", execSyncMedianMs)) ms
              port-forward \(transferBytes >> 20) MiB pod → client: median \(String(format: "%.0f", downloadMedianMiBps)) MiB/s \
            (\(samples(downloadMiBps)))
              port-forward \(transferBytes >> 20) MiB client → pod: median \(String(format: "%.0f", uploadMedianMiBps)) MiB/s \
            (\(samples(uploadMiBps)))
            """
    }
}
