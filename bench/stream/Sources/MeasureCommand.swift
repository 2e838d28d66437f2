import ArgumentParser

/// `corral-stream-bench [measure] --endpoint unix:///… --name NAME …`: one runtime on its own.
struct MeasureCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "measure",
        abstract: "Time exec round trips and port-forward transfers against one runtime.")

    @Option(help: "The CRI endpoint, unix:///path/to.sock.")
    var endpoint: String

    @Option(help: "A name for this runtime in the report (corral, containerd).")
    var name: String

    @Option(help: "Write the report as JSON to this file.")
    var json: String?

    @Option(help: "table or json (to stdout).")
    var output: OutputFormat = .table

    @OptionGroup var options: BenchOptions

    enum OutputFormat: String, ExpressibleByArgument { case table, json }

    func run() async throws {
        guard let report = try await options.measure([(name, endpoint)]).first else { return }
        if let json { try report.write(to: json) }
        switch output {
        case .table: print(report.table)
        case .json: print(String(decoding: try report.encoded(), as: UTF8.self))
        }
    }
}
