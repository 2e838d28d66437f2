import ArgumentParser

/// Cold image pulls through the CRI, timed with the server's CPU time and peak memory: the
/// bench's own images (`images` builds and pushes them to the lab registry), pulled by two
/// runtimes in turns (`measure`), and the report printed again (`compare`).
@main
struct CorralPullBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "corral-pull-bench",
        abstract: "Cold PullImage time, CPU and peak RSS of two CRI runtimes, side by side.",
        subcommands: [ImagesCommand.self, MeasureCommand.self, CompareCommand.self],
        defaultSubcommand: MeasureCommand.self)
}
