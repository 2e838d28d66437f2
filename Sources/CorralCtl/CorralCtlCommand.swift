import ArgumentParser
import CorralSystem

/// `corralctl`: the operator's view of corrald and its shims.
public struct CorralCtlCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "corralctl",
        abstract: "Inspect and operate a Corral node: the daemon over the CRI, each pod's shim over its socket.",
        discussion: """
            Shell completions: corralctl --generate-completion-script bash|zsh|fish
            (e.g. corralctl --generate-completion-script bash > /etc/bash_completion.d/corralctl).
            """,
        version: BuildInfo.version,
        subcommands: [InfoCommand.self, PodsCommand.self, PsCommand.self, ImagesCommand.self, PullCommand.self,
                      InspectCommand.self, DoctorCommand.self, ShimCommand.self])

    // Declared here so they may stand before the subcommand name; each subcommand declares them
    // again under the same property path (`global`), which hands it the same values.
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

enum OutputFormat: String, ExpressibleByArgument, CaseIterable {
    case table, json

    /// "text" too, the name `corralctl shim` first had for the table form.
    init?(argument: String) {
        switch argument {
        case "table", "text": self = .table
        case "json": self = .json
        default: return nil
        }
    }
}
