import ArgumentParser
import CorralConfig

/// Options every command shares: where corrald's config, state and CRI socket are. What is not
/// given comes from the config file (`/etc/corral/config.toml` when present), else DESIGN's defaults.
struct GlobalOptions: ParsableArguments {
    @OptionGroup var daemon: DaemonOptions

    @Option(name: .customLong("state"),
            help: ArgumentHelp("corrald's state dir; pods' shims are found under STATE/pods/ID (default: the config's, else /run/corral). For pods and ps, a state to list (ready, notready; created, running, exited, unknown) unless it is a path.",
                               valueName: "state"),
            completion: .directory)
    var stateDir: String?

    /// `--state` as crictl's state filter of `pods` and `ps`. ArgumentParser gives an option to
    /// the first command on the path that declares it, and `corralctl` itself declares
    /// `--state DIR` (so it may stand before the subcommand name), so those commands read the
    /// one value both ways: a path is the state dir (which they do not need), a word a state.
    func stateFilter<State: CaseIterable & RawRepresentable>(_: State.Type) throws(ValidationError) -> State?
    where State.RawValue == String {
        guard let stateDir, !Endpoint.isPath(stateDir) else { return nil }
        guard let state = State(rawValue: stateDir.lowercased()) else {
            throw ValidationError("--state \(stateDir): give one of \(State.allCases.map(\.rawValue).joined(separator: ", ")) (or a state dir path)")
        }
        return state
    }

    /// The flags over the config file. The file is read only when a flag leaves something open,
    /// so a broken /etc/corral/config.toml does not stop `--state X --endpoint Y`.
    func resolve() throws -> ResolvedGlobals {
        let file: DaemonConfig? = stateDir != nil && daemon.endpointAddress != nil ? nil : try daemon.daemonConfig()
        return ResolvedGlobals(state: stateDir ?? file?.state ?? DaemonConfig().state,
                               socketPath: try daemon.socketPath(config: file))
    }

    /// The state dir alone (what `corralctl shim` needs).
    var state: String {
        get throws { try resolve().state }
    }
}

/// The global options that lead to corrald itself.
struct DaemonOptions: ParsableArguments {
    @Option(help: "corrald's config file (default: /etc/corral/config.toml when present).")
    var config: String?

    @Option(name: .customLong("endpoint"),
            help: "corrald's CRI endpoint (default: the config's socket, else unix:///run/corral/corral.sock).")
    var endpointAddress: String?

    /// The config file's settings: an explicit --config must exist, the default one may be absent.
    func daemonConfig() throws(ConfigError) -> DaemonConfig {
        try DaemonConfig.load(path: config)
    }

    /// `config`: the file's settings when they are loaded already; read here only when needed.
    func socketPath(config file: DaemonConfig? = nil) throws -> String {
        if let endpointAddress { return try Endpoint.socketPath(endpointAddress) }
        return try (file ?? daemonConfig()).socket
    }
}

struct ResolvedGlobals: Sendable, Equatable {
    var state: String
    var socketPath: String
}

/// CRI endpoints as kubelet and crictl spell them; corrald listens on a unix socket only.
enum Endpoint {
    static func socketPath(_ endpoint: String) throws(ValidationError) -> String {
        let path = endpoint.hasPrefix("unix://") ? String(endpoint.dropFirst("unix://".count)) : endpoint
        guard path.hasPrefix("/"), !path.contains("://") else {
            throw ValidationError("endpoint \"\(endpoint)\" is not unix:///ABSOLUTE/PATH (corrald serves the CRI on a unix socket only)")
        }
        return path
    }

    /// Whether `--state` names a directory rather than a state.
    static func isPath(_ value: String) -> Bool {
        value.hasPrefix("/") || value.hasPrefix(".")
    }
}
