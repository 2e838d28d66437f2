import Foundation

/// A goal for the candidate runtime, lower being better: a ratio to the baseline's figure in the
/// same run, or, where the issue sets one, a bound on the candidate's own figure.
struct Target<Report>: Sendable {
    enum Limit: Sendable {
        /// candidate ≤ factor × baseline
        case ratio(Double)
        /// candidate < bound, in `unit`
        case below(Double, unit: String)
    }

    var what: String
    var limit: Limit
    var figure: @Sendable (Report) -> Double?

    /// What is held against the limit: candidate/baseline, or the candidate's own figure.
    func judged(candidate: Report, baseline: Report) -> Double? {
        switch limit {
        case .ratio:
            guard let mine = figure(candidate), let theirs = figure(baseline), theirs > 0 else { return nil }
            return mine / theirs
        case .below:
            return figure(candidate)
        }
    }

    /// "targets (corral / containerd):", a line per target ending in PASS, MISS or n/a, and the count met.
    static func lines(_ targets: [Target], candidate: Report, baseline: Report,
                      candidateName: String, baselineName: String) -> [String] {
        var lines = ["targets (\(candidateName) / \(baselineName)):"]
        var met = 0
        // Wide enough for the longest name, so the limits line up.
        let width = max(44, (targets.map(\.what.count).max() ?? 0) + 2)
        for target in targets {
            let value = target.judged(candidate: candidate, baseline: baseline)
            let (bound, got): (String, String)
            let pass: Bool?
            switch target.limit {
            case .ratio(let factor):
                bound = "≤ " + String(format: "%.2f", factor) + "×"
                got = value.map { String(format: "%.2f", $0) + "×" } ?? "n/a"
                pass = value.map { $0 <= factor }
            case .below(let limit, let unit):
                bound = "< " + String(format: "%.2f", limit) + " " + unit
                got = value.map { String(format: "%.2f", $0) + " " + unit } ?? "n/a"
                pass = value.map { $0 < limit }
            }
            let verdict = pass.map { $0 ? "PASS" : "MISS" } ?? "n/a"
            if pass == true { met += 1 }
            lines.append("  " + ReportTable.pad(target.what, width) + bound + "  got " + got + "  " + verdict)
        }
        lines.append("targets met: \(met) of \(targets.count)")
        return lines
    }
}

extension Target where Report == BenchReport {
    /// The targets: kubelet's pod start, its relist at 200 containers, and the idle daemon.
    static var all: [Target] {
        [
            Target(what: "pod start (run+create+start), median", limit: .ratio(0.6)) {
                $0.entry(.podStart)?.summary.medianMs
            },
            Target(what: "ListContainers at 200 containers, median", limit: .ratio(0.5)) {
                $0.entry(.listContainersMany)?.summary.medianMs
            },
            Target(what: "server VmRSS when idle", limit: .ratio(0.6)) { $0.idleRSSKiB.map(Double.init) },
        ]
    }
}
