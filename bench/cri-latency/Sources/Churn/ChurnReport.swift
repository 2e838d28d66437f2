import BenchCRIClient
import Foundation

/// What a soak found: lifecycles and their failures, and the daemon's descriptors and memory
/// before the churn, after it (the long-lived pods still running) and after every pod is gone.
struct ChurnReport: Codable, Sendable {
    struct DaemonReading: Codable, Sendable {
        var descriptors: Int
        var rssKiB: Int

        static func take(_ pid: Int32?) -> DaemonReading {
            guard let pid else { return DaemonReading(descriptors: 0, rssKiB: 0) }
            let fds = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/fd"))?.count ?? 0
            return DaemonReading(descriptors: fds, rssKiB: ServerMemory.residentKiB(pid: pid) ?? 0)
        }
    }

    var lifecycles: Int
    var longLived: Int
    var workers: Int
    var seconds: Double
    var failed: Int
    var firstFailures: [String]
    var lifecycle: LatencySummary
    /// The run's pods listed once the churn was over: the long-lived ones, and nothing else.
    var podsListedAfterChurn: Int
    var baseline: DaemonReading
    var afterChurn: DaemonReading
    var afterRemoval: DaemonReading

    /// Descriptors the daemon may hold more once every pod is gone than at the baseline (read with
    /// the bench's first connection open; the last reading with none).
    static let descriptorSlack = 4

    var descriptorGrowth: Int { afterRemoval.descriptors - baseline.descriptors }
    var rssGrowthKiB: Int { afterRemoval.rssKiB - baseline.rssKiB }

    var checks: [(what: String, pass: Bool)] {
        [("every lifecycle completed (\(lifecycles - failed) of \(lifecycles))", failed == 0),
         ("only the \(longLived) long-lived pods listed after the churn (\(podsListedAfterChurn))", podsListedAfterChurn == longLived),
         ("daemon descriptors back at baseline: \(baseline.descriptors) → \(afterRemoval.descriptors) (≤ +\(Self.descriptorSlack))",
          descriptorGrowth <= Self.descriptorSlack)]
    }

    var passed: Bool { checks.allSatisfy(\.pass) }

    var table: String {
        var lines = [
            String(format: "churn: %d lifecycles on %d workers beside %d long-lived pods in %.1f s (%.1f a second)",
                   lifecycles, workers, longLived, seconds, Double(lifecycles) / max(seconds, 0.001)),
            String(format: "lifecycle (run, create, start, exec, stop, remove): median %.0f ms, p99 %.0f ms",
                   lifecycle.medianMs, lifecycle.p99Ms),
            "daemon        descriptors   RSS",
            String(format: "  baseline    %11d   %6.1f MiB", baseline.descriptors, Double(baseline.rssKiB) / 1024),
            String(format: "  after churn %11d   %6.1f MiB", afterChurn.descriptors, Double(afterChurn.rssKiB) / 1024),
            String(format: "  all removed %11d   %6.1f MiB  (RSS growth %+.1f MiB)", afterRemoval.descriptors,
                   Double(afterRemoval.rssKiB) / 1024, Double(rssGrowthKiB) / 1024),
        ]
        lines += firstFailures.map { "  failure: \($0)" }
        lines += checks.map { "\($0.what.padding(toLength: 78, withPad: " ", startingAt: 0)) \($0.pass ? "PASS" : "MISS")" }
        return lines.joined(separator: "\n")
    }
}
