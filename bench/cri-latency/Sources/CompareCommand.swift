import ArgumentParser
import Foundation

/// `corral-cri-bench compare BASELINE.json CANDIDATE.json`: both runs side by side, the ratio
/// candidate/baseline of every figure, and PASS/MISS against the targets.
struct CompareCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "compare",
        abstract: "Print two reports side by side with ratios and the targets.")

    @Argument(help: "The baseline report (containerd).")
    var baseline: String

    @Argument(help: "The candidate report (corral).")
    var candidate: String

    func run() throws {
        print(ComparisonTable.render(baseline: try BenchReport.read(from: baseline),
                                     candidate: try BenchReport.read(from: candidate)))
    }
}
