import ArgumentParser
import CorralConfig
import CorralSystem
import Logging

/// `corrald [--config FILE] [--root DIR] [--state DIR] [--socket PATH] [--log-level L]`,
/// `corrald config default`, `corrald config check --config FILE`.
public struct DaemonCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "corrald",
        abstract: "Corral's CRI daemon: serves kubelet's runtime and image services.",
        version: "corrald \(BuildInfo.version) (\(BuildInfo.runtime))",
        subcommands: [Serve.self, ConfigCommand.self],
        defaultSubcommand: Serve.self)

    public init() {}

    /// The async entry point (a bare `main()` from top-level code can pick the synchronous one).
    public static func runFromCommandLine() async {
        await main()
    }
}

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "serve", abstract: "Serve the CRI in the foreground (the default).")

    @Option(help: "The config file (default /etc/corral/config.toml when present).") var config: String?
    @Option(help: "Where images and metadata live.") var root: String?
    @Option(help: "Where sockets, bundles and pod state live.") var state: String?
    @Option(help: "The CRI socket path.") var socket: String?
    @Option(help: "trace, debug, info, notice, warning, error or critical.") var logLevel: String?

    func run() async throws {
        let flags = FlagOverrides(root: root, state: state, socket: socket, logLevel: logLevel)
        var daemonConfig = try DaemonConfig.load(path: config)
        flags.apply(to: &daemonConfig)
        try daemonConfig.validate(source: "flags")
        DaemonLogHandler.apply(daemonConfig)
        LoggingSystem.bootstrap { DaemonLogHandler(label: $0) }
        try await Daemon(config: daemonConfig, configPath: config, flags: flags).run()
    }
}

/// The command line's settings, which win over the config file at start and at every reload.
struct FlagOverrides: Sendable {
    var root: String?
    var state: String?
    var socket: String?
    var logLevel: String?

    func apply(to config: inout DaemonConfig) {
        if let root { config.root = root }
        if let state { config.state = state }
        if let socket { config.socket = socket }
        if let logLevel { config.logLevel = logLevel }
    }
}

struct ConfigCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "config", abstract: "Print or check the configuration.",
        subcommands: [Default.self, Check.self])

    struct Default: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print the commented default config.")
        func run() { print(DaemonConfig.defaultText, terminator: "") }
    }

    struct Check: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Validate a config file; exit 1 naming the bad key.")
        @Option(help: "The config file.") var config: String

        func run() throws {
            do {
                _ = try DaemonConfig.load(path: config)
                print("\(config): ok")
            } catch {
                printError("\(error)")
                throw ExitCode(1)
            }
        }
    }
}

func printError(_ text: String) {
    // Nowhere left to report a failure to write to stderr.
    try? FileDescriptor(rawValue: 2).writeAll(text + "\n")
}
