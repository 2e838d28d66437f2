import Foundation

/// Two reports as one table: medians and p99s of both, and candidate/baseline ratios.
enum ComparisonTable {
    static func render(baseline: BenchReport, candidate: BenchReport) -> String {
        let b = short(baseline.name), c = short(candidate.name)
        var lines = ["\(candidate.name) (\(candidate.runtime)) / \(baseline.name) (\(baseline.runtime)), ms; ratio = \(candidate.name)/\(baseline.name)"]
        lines.append(ReportTable.pad("call", 34)
                     + columns(["\(b) med", "\(c) med", "ratio", "\(b) p99", "\(c) p99", "ratio"]))
        for metric in Metric.allCases {
            guard let theirs = baseline.entry(metric), let mine = candidate.entry(metric) else { continue }
            lines.append(ReportTable.pad(label(metric, theirs, mine), 34) + columns([
                ReportTable.ms(theirs.summary.medianMs), ReportTable.ms(mine.summary.medianMs),
                ratio(mine.summary.medianMs, theirs.summary.medianMs),
                ReportTable.ms(theirs.summary.p99Ms), ReportTable.ms(mine.summary.p99Ms),
                ratio(mine.summary.p99Ms, theirs.summary.p99Ms),
            ]))
        }
        lines.append(ReportTable.pad("server VmRSS idle, kB", 34) + columns([
            kib(baseline.idleRSSKiB), kib(candidate.idleRSSKiB),
            ratio(candidate.idleRSSKiB.map(Double.init), baseline.idleRSSKiB.map(Double.init)),
        ]))
        lines.append(ReportTable.pad("server VmRSS at \(candidate.loadedContainers) containers, kB", 34) + columns([
            kib(baseline.loadedRSSKiB), kib(candidate.loadedRSSKiB),
            ratio(candidate.loadedRSSKiB.map(Double.init), baseline.loadedRSSKiB.map(Double.init)),
        ]))
        if candidate.runs < 100 || baseline.runs < 100 {
            lines.append("p99 is the nearest rank: with fewer than 100 samples, the slowest sample.")
        }
        lines.append("")
        lines.append("targets (\(candidate.name) / \(baseline.name)):")
        var met = 0
        for target in Target.all {
            let value = target.ratio(candidate: candidate, baseline: baseline)
            let verdict = value.map { $0 <= target.limit ? "PASS" : "MISS" } ?? "n/a"
            if verdict == "PASS" { met += 1 }
            lines.append("  " + ReportTable.pad(target.what, 44)
                         + "≤ " + String(format: "%.2f", target.limit) + "×  got "
                         + (value.map { String(format: "%.2f", $0) + "×" } ?? "n/a") + "  " + verdict)
        }
        lines.append("targets met: \(met) of \(Target.all.count)")
        return lines.joined(separator: "\n")
    }

    /// ListContainers with how many containers each runtime listed, which should agree.
    private static func label(_ metric: Metric, _ theirs: BenchReport.Entry, _ mine: BenchReport.Entry) -> String {
        guard let b = theirs.containers, let c = mine.containers else { return metric.rawValue }
        return metric.rawValue + (b == c ? " (\(b))" : " (\(b)/\(c))")
    }

    private static func short(_ name: String) -> String { String(name.prefix(10)) }

    private static func columns(_ cells: [String]) -> String {
        cells.map { ReportTable.lpad($0, 16) }.joined()
    }

    private static func ratio(_ mine: Double?, _ theirs: Double?) -> String {
        guard let mine, let theirs, theirs > 0 else { return "n/a" }
        return String(format: "%.2f×", mine / theirs)
    }

    private static func kib(_ value: Int?) -> String { value.map(String.init) ?? "n/a" }
}
