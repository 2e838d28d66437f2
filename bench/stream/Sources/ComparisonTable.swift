import Foundation

/// Two runs side by side, the ratio candidate/baseline of each median, and the targets.
enum ComparisonTable {
    struct Row {
        var what: String
        var baseline: Double
        var candidate: Double
        /// Latency wants the ratio at most `limit`; throughput at least. No limit: for reading only.
        var lowerIsBetter: Bool
        var limit: Double?
    }

    static func render(baseline: StreamReport, candidate: StreamReport) -> String {
        let mib = candidate.transferBytes >> 20
        let rows = [
            Row(what: "exec `true` round trip, median ms", baseline: baseline.execMedianMs,
                candidate: candidate.execMedianMs, lowerIsBetter: true, limit: 0.7),
            Row(what: "  ExecSync `true` (no streaming), median ms", baseline: baseline.execSyncMedianMs,
                candidate: candidate.execSyncMedianMs, lowerIsBetter: true, limit: nil),
            Row(what: "port-forward \(mib) MiB pod→client, MiB/s", baseline: baseline.downloadMedianMiBps,
                candidate: candidate.downloadMedianMiBps, lowerIsBetter: false, limit: 1.0),
            Row(what: "port-forward \(mib) MiB client→pod, MiB/s", baseline: baseline.uploadMedianMiBps,
                candidate: candidate.uploadMedianMiBps, lowerIsBetter: false, limit: 1.0),
        ]
        var lines = ["\(candidate.name) (\(candidate.runtime)) / \(baseline.name) (\(baseline.runtime)); ratio = \(candidate.name)/\(baseline.name)"]
        lines.append(pad("", 44) + lpad(String(baseline.name.prefix(12)), 13) + lpad(String(candidate.name.prefix(12)), 13)
                     + lpad("ratio", 9) + "   target")
        var met = 0
        for row in rows {
            let ratio = row.baseline > 0 ? row.candidate / row.baseline : nil
            var line = pad(row.what, 44) + lpad(String(format: "%.1f", row.baseline), 13)
                + lpad(String(format: "%.1f", row.candidate), 13) + lpad(ratio.map { String(format: "%.2f×", $0) } ?? "n/a", 9)
            if let limit = row.limit {
                let pass = ratio.map { row.lowerIsBetter ? $0 <= limit : $0 >= limit }
                if pass == true { met += 1 }
                line += "   " + (row.lowerIsBetter ? "≤ " : "≥ ") + String(format: "%.2f×", limit)
                    + "  " + (pass.map { $0 ? "PASS" : "MISS" } ?? "n/a")
            }
            lines.append(line)
        }
        lines.append("targets met: \(met) of \(rows.filter { $0.limit != nil }.count)")
        return lines.joined(separator: "\n")
    }

    static func pad(_ text: String, _ width: Int) -> String {
        text.count >= width ? text + " " : text + String(repeating: " ", count: width - text.count)
    }

    static func lpad(_ text: String, _ width: Int) -> String {
        text.count >= width ? " " + text : String(repeating: " ", count: width - text.count) + text
    }
}
