import ArgumentParser
import BenchSupport
import Foundation

/// A report that `compare` prints side by side with another of its kind.
protocol ComparedReport: JSONReport {
    /// Both runs, the ratio candidate/baseline of every figure, and PASS/MISS against the targets.
    static func table(baseline: Self, candidate: Self) -> String
}

/// `corral-cri-bench compare BASELINE.json CANDIDATE.json` (BenchReport), and `node compare`
/// (NodeReport): both runs side by side, the ratio candidate/baseline of every figure, and
/// PASS/MISS against the targets.
struct CompareCommand<Report: ComparedReport>: ParsableCommand {
    static var configuration: CommandConfiguration {
        CommandConfiguration(commandName: "compare", abstract: "Print two reports side by side with ratios and the targets.")
    }

    @Argument(help: "The baseline report (containerd).")
    var baseline: String

    @Argument(help: "The candidate report (corral).")
    var candidate: String

    func run() throws {
        print(Report.table(baseline: try Report.read(from: baseline), candidate: try Report.read(from: candidate)))
    }
}

extension BenchReport: ComparedReport {
    static func table(baseline: BenchReport, candidate: BenchReport) -> String {
        ComparisonTable.render(baseline: baseline, candidate: candidate)
    }
}

extension NodeReport: ComparedReport {
    static func table(baseline: NodeReport, candidate: NodeReport) -> String {
        NodeTable.render(baseline: baseline, candidate: candidate)
    }
}
