import ArgumentParser

/// `corral-cri-bench node [measure] …` against one runtime, and `node compare` of two such runs.
struct NodeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "node",
        abstract: "A full node under kubelet's load: burst, steady state, memory, restart, ListContainers' CPU.",
        subcommands: [NodeMeasureCommand.self, CompareCommand<NodeReport>.self],
        defaultSubcommand: NodeMeasureCommand.self)
}
