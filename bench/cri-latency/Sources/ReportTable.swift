import Foundation

/// The report of one run as text.
enum ReportTable {
    static func render(_ report: BenchReport) -> String {
        var lines = ["\(report.name): \(report.runtime) at \(report.endpoint), \(report.runs) runs, \(report.image)"]
        lines.append(latencyHeader)
        for entry in report.entries { lines.append(latencyRow(label(entry), entry)) }
        if let p99IsMax = report.entries.first?.summary.p99IsMax, p99IsMax {
            lines.append("p99 is the nearest rank: with fewer than 100 samples, the slowest sample.")
        }
        lines.append("pods were stopped with \(report.containersPerPodAtStop) containers each; "
                     + "\(report.connectionsOpened) HTTP/2 connections of at most 150 calls each")
        if let warmup = report.warmupPodStartMs {
            lines.append("warm-up pod start (untimed in the table): \(ms(warmup)) ms")
        }
        lines.append("server VmRSS idle: \(kib(report.idleRSSKiB)), with \(report.loadedContainers) containers: \(kib(report.loadedRSSKiB))")
        return lines.joined(separator: "\n")
    }

    static let latencyHeader = pad("call", 34) + lpad("n", 5) + lpad("median ms", 12) + lpad("p99 ms", 10)

    /// One call's sample count, median and p99.
    static func latencyRow(_ label: String, _ entry: MetricEntry) -> String {
        pad(label, 34) + lpad("\(entry.summary.count)", 5) + lpad(ms(entry.summary.medianMs), 12) + lpad(ms(entry.summary.p99Ms), 10)
    }

    static func label(_ entry: MetricEntry) -> String {
        guard let count = entry.containers else { return entry.metric.rawValue }
        return entry.metric.rawValue + " (\(count) listed)"
    }

    /// Two decimals below 10 ms, where calls of a fraction of a millisecond would otherwise all read 0.x.
    static func ms(_ value: Double) -> String { String(format: value < 10 ? "%.2f" : "%.1f", value) }

    static func kib(_ value: Int?) -> String { value.map { "\($0) kB" } ?? "n/a (no --server-pid)" }

    static func pad(_ text: String, _ width: Int) -> String {
        text.count >= width ? text + " " : text + String(repeating: " ", count: width - text.count)
    }

    static func lpad(_ text: String, _ width: Int) -> String {
        text.count >= width ? " " + text : String(repeating: " ", count: width - text.count) + text
    }
}
