import ArgumentParser

/// `corral-stream-bench compare BASELINE.json CANDIDATE.json`
struct CompareCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "compare",
        abstract: "Print two reports side by side with ratios and the targets.")

    @Argument(help: "The baseline report (containerd).")
    var baseline: String

    @Argument(help: "The candidate report (corral).")
    var candidate: String

    func run() throws {
        print(ComparisonTable.render(baseline: try StreamReport.read(from: baseline),
                                     candidate: try StreamReport.read(from: candidate)))
    }
}
