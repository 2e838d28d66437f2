import ArgumentParser

/// Exec round trips and port-forward throughput through CRI runtimes' streaming servers: one
/// runtime (`measure`, the default), two in turns (`pair`, what run.sh uses), or two reports side
/// by side (`compare`); corrald and containerd measured by the same client.
@main
struct CorralStreamBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "corral-stream-bench",
        abstract: "Exec latency and port-forward throughput through a CRI runtime's streaming server.",
        subcommands: [MeasureCommand.self, PairCommand.self, CompareCommand.self],
        defaultSubcommand: MeasureCommand.self)
}
