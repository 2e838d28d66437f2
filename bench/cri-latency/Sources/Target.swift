/// A goal for the candidate runtime, as a ratio to the baseline's figure (lower is better).
struct Target: Sendable {
    var what: String
    var limit: Double
    var figure: @Sendable (BenchReport) -> Double?

    /// The targets: kubelet's pod start, its relist at 200 containers, and the idle daemon.
    static let all: [Target] = [
        Target(what: "pod start (run+create+start), median", limit: 0.6) { $0.entry(.podStart)?.summary.medianMs },
        Target(what: "ListContainers at 200 containers, median", limit: 0.5) {
            $0.entry(.listContainersMany)?.summary.medianMs
        },
        Target(what: "server VmRSS when idle", limit: 0.6) { $0.idleRSSKiB.map(Double.init) },
    ]

    func ratio(candidate: BenchReport, baseline: BenchReport) -> Double? {
        guard let mine = figure(candidate), let theirs = figure(baseline), theirs > 0 else { return nil }
        return mine / theirs
    }
}
