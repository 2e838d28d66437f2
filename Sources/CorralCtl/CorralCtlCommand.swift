import ArgumentParser
import CorralSystem

/// `corralctl`: the operator's view of corrald and its shims.
public struct CorralCtlCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "corralctl",
        abstract: "Inspect and operate a Corral node: the daemon over the CRI, each pod's shim over its socket.",
        version: BuildInfo.version,
        subcommands: [ShimCommand.self])

    @OptionGroup var global: GlobalOptions

    public init() {}

    /// Parses the command line and runs the chosen command. (An explicit entry point: from a
    /// `main.swift`, a bare `main()` resolves to ArgumentParser's synchronous one.)
    public static func runFromCommandLine() async {
        do {
            var command = try parseAsRoot()
            if var asyncCommand = command as? AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            exit(withError: error)
        }
    }
}

/// Options every subcommand shares: where corrald keeps its state and socket.
struct GlobalOptions: ParsableArguments {
    @Option(help: "corrald's config file.")
    var config: String = "/etc/corral/config.toml"

    @Option(help: "corrald's state dir; pods' shims are found under STATE/pods/ID.")
    var state: String = "/run/corral"

    @Option(help: "corrald's CRI endpoint.")
    var endpoint: String = "unix:///run/corral/corral.sock"
}

enum OutputFormat: String, ExpressibleByArgument, CaseIterable {
    case text, json
}
