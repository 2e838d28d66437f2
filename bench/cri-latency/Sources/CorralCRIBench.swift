import ArgumentParser

/// A persistent CRI client that times kubelet's calls against one runtime (`measure`, the
/// default), and a side-by-side of two such runs (`compare`), so corrald and containerd are
/// measured by the same client, back to back.
@main
struct CorralCRIBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "corral-cri-bench",
        abstract: "CRI call latency over one persistent gRPC connection, and idle server memory.",
        subcommands: [MeasureCommand.self, CompareCommand<BenchReport>.self, LoopCommand.self, NodeCommand.self, ChurnCommand.self],
        defaultSubcommand: MeasureCommand.self)
}
