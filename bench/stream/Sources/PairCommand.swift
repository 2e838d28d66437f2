import ArgumentParser

/// `corral-stream-bench pair --baseline NAME=unix:///… --candidate NAME=unix:///…`: two runtimes
/// taking turns sample by sample, then both reports side by side.
struct PairCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pair",
        abstract: "Measure two runtimes in alternation and compare them.")

    @Option(help: "The baseline runtime, NAME=unix:///path/to.sock (containerd).")
    var baseline: String

    @Option(help: "The candidate runtime, NAME=unix:///path/to.sock (corral).")
    var candidate: String

    @Option(help: "A directory to write NAME.json reports into.")
    var jsonDirectory: String?

    @OptionGroup var options: BenchOptions

    func validate() throws {
        for value in [baseline, candidate] where Self.split(value) == nil {
            throw ValidationError("expected NAME=ENDPOINT, got \(value)")
        }
    }

    func run() async throws {
        let runtimes = [Self.split(baseline)!, Self.split(candidate)!]
        let reports = try await options.measure(runtimes)
        for report in reports {
            print(report.table)
            if let jsonDirectory { try report.write(to: jsonDirectory + "/" + report.name + ".json") }
        }
        print()
        print(ComparisonTable.render(baseline: reports[0], candidate: reports[1]))
    }

    private static func split(_ value: String) -> (name: String, endpoint: String)? {
        guard let equals = value.firstIndex(of: "="), equals != value.startIndex else { return nil }
        let endpoint = value[value.index(after: equals)...]
        return endpoint.isEmpty ? nil : (String(value[..<equals]), String(endpoint))
    }
}
