import ArgumentParser

/// `corral-pull-bench compare REPORT.json`: the table of a report `measure` wrote.
struct CompareCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "compare",
        abstract: "Print a report's table again, with ratios and the targets.")

    @Argument(help: "A report written by measure --json.")
    var report: String

    func run() throws {
        print(PullTable.render(try PullReport.read(from: report)))
    }
}
