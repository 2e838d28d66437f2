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
        var daemonConfig = try DaemonConfig.load(path: config)
        if let root { daemonConfig.root = root }
        if let state { daemonConfig.state = state }
        if let socket { daemonConfig.socket = socket }
        if let logLevel { daemonConfig.logLevel = logLevel }
        try daemonConfig.validate(source: "flags")
        let level = Logger.Level(rawValue: daemonConfig.logLevel) ?? .info
        LoggingSystem.bootstrap { DaemonLogHandler(label: $0) }
        var logger = Logger(label: "corrald")
        logger.logLevel = level
        try await Daemon(config: daemonConfig, configPath: config, logger: logger).run()
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
    try? FileDescriptor(rawValue: 2).writeAll(text + "\n")
}
