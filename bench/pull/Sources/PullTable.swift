import Foundation

/// A report as text: per case, each runtime's median time, CPU time and peak RSS above idle,
/// the ratios of the second runtime to the first, then the targets with PASS or MISS.
enum PullTable {
    static func render(_ report: PullReport) -> String {
        let names = report.runtimes.map(\.name)
        var lines = report.runtimes.map { "\($0.name): \($0.version) at \($0.endpoint)" }
        lines.append("cold pulls (PullImage sent until the last one returned, unpacking included), median of \(report.runs) runs"
                     + (names.count == 2 ? "; ratio = \(names[1])/\(names[0])" : ""))
        var header = pad("case", 34) + lpad("MB", 8) + lpad("layers", 7)
        for name in names { header += lpad("\(short(name)) ms", 14) }
        if names.count == 2 { header += lpad("ratio", 8) }
        for name in names { header += lpad("\(short(name)) CPU s", 14) }
        for name in names { header += lpad("\(short(name)) RSS+MiB", 16) }
        lines.append(header)
        for result in report.cases {
            var line = pad(result.pullCase.title, 34) + lpad(String(format: "%.1f", Double(result.bytes) / 1e6), 8)
                + lpad("\(result.layers)", 7)
            let summaries = names.map { CaseSummary(result.samples[$0] ?? []) }
            for s in summaries { line += lpad(s.milliseconds.map { String(format: "%.0f", $0) } ?? "n/a", 14) }
            if summaries.count == 2 { line += lpad(ratio(summaries[1].milliseconds, summaries[0].milliseconds), 8) }
            for s in summaries { line += lpad(s.cpuSeconds.map { String(format: "%.2f", $0) } ?? "n/a", 14) }
            for s in summaries { line += lpad(s.peakAboveIdleMiB.map { String(format: "%.1f", $0) } ?? "n/a", 16) }
            lines.append(line)
        }
        for result in report.cases {
            for (name, failure) in result.failures.sorted(by: { $0.key < $1.key }) {
                lines.append("\(result.pullCase.title): \(name) FAILED, \(failure)")
            }
        }
        lines.append("RSS+ is the largest peak above the idle VmRSS over the runs (VmHWM, reset before each pull).")
        lines.append("registry GETs of each blob in a run, fewest–most over the case's blobs and runs (0: a blob not fetched, so not cold):")
        for result in report.cases {
            var line = "  " + pad(result.pullCase.title, 32) + lpad("\(result.blobs.count) blobs", 10)
            for name in names { line += "   \(name) " + (fetchRange(result, name).map(rangeText) ?? "n/a") }
            lines.append(line)
        }
        guard names.count == 2 else { return lines.joined(separator: "\n") }

        lines.append("")
        lines.append("targets (\(names[1]) / \(names[0])):")
        var met = 0
        let verdicts = targets(report, baseline: names[0], candidate: names[1])
        for (what, limit, got, pass) in verdicts {
            let verdict = pass.map { $0 ? "PASS" : "MISS" } ?? "n/a"
            if pass == true { met += 1 }
            lines.append("  " + pad(what, 48) + pad(limit, 12) + "got " + pad(got, 10) + verdict)
        }
        lines.append("targets met: \(met) of \(verdicts.count)")
        return lines.joined(separator: "\n")
    }

    /// (what, limit, what was got, pass) for each of issue 19's targets.
    private static func targets(_ report: PullReport, baseline: String,
                                candidate: String) -> [(String, String, String, Bool?)] {
        func result(_ pullCase: PullCase) -> PullReport.Case? { report.cases.first { $0.pullCase == pullCase } }
        var rows: [(String, String, String, Bool?)] = []
        for (pullCase, limit) in [(PullCase.a, 0.4), (.b, 0.4), (.c, 0.5)] {
            let what = "\(pullCase.title), median time"
            guard let result = result(pullCase),
                  let mine = CaseSummary(result.samples[candidate] ?? []).milliseconds,
                  let theirs = CaseSummary(result.samples[baseline] ?? []).milliseconds, theirs > 0 else {
                rows.append((what, String(format: "≤ %.2f×", limit), "n/a", nil))
                continue
            }
            let value = mine / theirs
            rows.append((what, String(format: "≤ %.2f×", limit), String(format: "%.2f×", value), value <= limit))
        }
        if let d = result(.d), let range = fetchRange(d, candidate) {
            rows.append(("(d) one registry fetch of each blob, every run", "= 1", rangeText(range), range.min == 1 && range.max == 1))
        } else {
            rows.append(("(d) one registry fetch of each blob, every run", "= 1", "n/a", nil))
        }
        if let b = result(.b), let peak = CaseSummary(b.samples[candidate] ?? []).peakAboveIdleMiB {
            rows.append(("(b) peak RSS above idle, worst run", "< 64 MiB", String(format: "%.1f MiB", peak), peak < 64))
        } else {
            rows.append(("(b) peak RSS above idle, worst run", "< 64 MiB", "n/a", nil))
        }
        return rows
    }

    /// The fewest and most GETs any of the case's blobs had in any run (a blob never fetched counts 0).
    private static func fetchRange(_ result: PullReport.Case, _ name: String) -> (min: Int, max: Int)? {
        let samples = result.samples[name] ?? []
        let counts = samples.compactMap(\.blobFetches).flatMap { fetches in result.blobs.map { fetches[$0] ?? 0 } }
        guard let low = counts.min(), let high = counts.max(), samples.allSatisfy({ $0.blobFetches != nil }) else { return nil }
        return (low, high)
    }

    private static func rangeText(_ range: (min: Int, max: Int)) -> String {
        range.min == range.max ? "\(range.min)" : "\(range.min)–\(range.max)"
    }

    private static func ratio(_ mine: Double?, _ theirs: Double?) -> String {
        guard let mine, let theirs, theirs > 0 else { return "n/a" }
        return String(format: "%.2f×", mine / theirs)
    }

    private static func short(_ name: String) -> String { String(name.prefix(10)) }

    static func pad(_ text: String, _ width: Int) -> String {
        text.count >= width ? text + " " : text + String(repeating: " ", count: width - text.count)
    }

    static func lpad(_ text: String, _ width: Int) -> String {
        text.count >= width ? " " + text : String(repeating: " ", count: width - text.count) + text
    }
}

/// One runtime's runs of one case, summed up: medians of time and CPU, the worst peak.
struct CaseSummary {
    var milliseconds: Double?
    var cpuSeconds: Double?
    var peakAboveIdleMiB: Double?

    init(_ samples: [PullReport.Sample]) {
        milliseconds = Self.median(samples.map(\.milliseconds))
        cpuSeconds = Self.median(samples.compactMap(\.cpuSeconds))
        peakAboveIdleMiB = samples.compactMap(\.peakAboveIdleKiB).max().map { Double($0) / 1024 }
    }

    static func median(_ values: [Double]) -> Double? {
        let sorted = values.sorted()
        guard !sorted.isEmpty else { return nil }
        let middle = sorted.count / 2
        return sorted.count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
    }
}
