import Foundation

/// Two reports as one table: medians and p99s of both, and candidate/baseline ratios.
enum ComparisonTable {
    static func render(baseline: BenchReport, candidate: BenchReport) -> String {
        let b = short(baseline.name), c = short(candidate.name)
        var lines = ["\(candidate.name) (\(candidate.runtime)) / \(baseline.name) (\(baseline.runtime)), ms; ratio = \(candidate.name)/\(baseline.name)"]
        lines.append(latencyHeader(b, c))
        for metric in Metric.allCases {
            guard let theirs = baseline.entry(metric), let mine = candidate.entry(metric) else { continue }
            lines.append(latencyRow(label(metric, theirs, mine), theirs, mine))
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
        lines += Target<BenchReport>.lines(Target.all, candidate: candidate, baseline: baseline,
                              candidateName: candidate.name, baselineName: baseline.name)
        return lines.joined(separator: "\n")
    }

    /// The columns of `latencyRow`, for runs named `b` (baseline) and `c` (candidate).
    static func latencyHeader(_ b: String, _ c: String) -> String {
        ReportTable.pad("call", 34) + columns(["\(b) med", "\(c) med", "ratio", "\(b) p99", "\(c) p99", "ratio"])
    }

    /// One call's median and p99 in both runs, each with its ratio, in ms.
    static func latencyRow(_ label: String, _ theirs: MetricEntry, _ mine: MetricEntry) -> String {
        ReportTable.pad(label, 34) + columns([
            ReportTable.ms(theirs.summary.medianMs), ReportTable.ms(mine.summary.medianMs),
            ratio(mine.summary.medianMs, theirs.summary.medianMs),
            ReportTable.ms(theirs.summary.p99Ms), ReportTable.ms(mine.summary.p99Ms),
            ratio(mine.summary.p99Ms, theirs.summary.p99Ms),
        ])
    }

    /// ListContainers with how many containers each runtime listed, which should agree.
    private static func label(_ metric: Metric, _ theirs: MetricEntry, _ mine: MetricEntry) -> String {
        guard let b = theirs.containers, let c = mine.containers else { return metric.rawValue }
        return metric.rawValue + (b == c ? " (\(b))" : " (\(b)/\(c))")
    }

    static func short(_ name: String) -> String { String(name.prefix(10)) }

    static func columns(_ cells: [String]) -> String {
        cells.map { ReportTable.lpad($0, 16) }.joined()
    }

    static func ratio(_ mine: Double?, _ theirs: Double?) -> String {
        guard let mine, let theirs, theirs > 0 else { return "n/a" }
        return String(format: "%.2f×", mine / theirs)
    }

    private static func kib(_ value: Int?) -> String { value.map(String.init) ?? "n/a" }
}
