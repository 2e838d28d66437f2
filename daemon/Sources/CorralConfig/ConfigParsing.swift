import TOMLKit

extension DaemonConfig {
    /// Parses and validates a configuration; keys left out keep their defaults.
    /// `source` names the text in errors (a path, or "config.toml").
    public static func parse(_ toml: String, source: String) throws(ConfigError) -> DaemonConfig {
        let document: TOMLTable
        do {
            document = try TOMLTable(string: toml)
        } catch let error as TOMLParseError {
            throw ConfigError(source: source, key: "",
                              message: "line \(error.source.begin.line), column \(error.source.begin.column): \(error.description)")
        } catch {
            throw ConfigError(source: source, key: "", message: "\(error)")
        }

        var config = DaemonConfig()
        let top = try TableReader(document, at: .root, source: source, known: [
            "root", "state", "socket", "socket_mode", "socket_group", "log_level", "log_target", "log_levels", "shim_path", "cgroup_driver", "restrict_oom_score_adj", "exec_via_runtime", "criu_path",
            "cni", "runtimes", "registry", "streaming", "timeouts", "metrics", "images",
        ])
        config.root = try top.string("root") ?? config.root
        config.state = try top.string("state") ?? config.state
        config.socket = try top.string("socket") ?? config.socket
        config.socketMode = try top.int("socket_mode") ?? config.socketMode
        config.socketGroup = try top.string("socket_group") ?? config.socketGroup
        config.logLevel = try top.string("log_level") ?? config.logLevel
        if let target = try top.string("log_target") {
            guard let value = LogTarget(rawValue: target) else {
                throw top.error("log_target", "\(quoted(target)) is not \"stderr\" or \"journal\"")
            }
            config.logTarget = value
        }
        if let levels = try top.table("log_levels", known: Set(logSubsystems)) {
            for subsystem in logSubsystems {
                if let level = try levels.string(subsystem) { config.logLevels[subsystem] = level }
            }
        }
        config.shimPath = try top.string("shim_path") ?? config.shimPath
        if let driver = try top.string("cgroup_driver") {
            guard let value = CgroupDriver(rawValue: driver) else {
                throw top.error("cgroup_driver", "\(quoted(driver)) is not \"cgroupfs\" or \"systemd\"")
            }
            config.cgroupDriver = value
        }
        config.restrictOOMScoreAdj = try top.bool("restrict_oom_score_adj") ?? config.restrictOOMScoreAdj
        config.execViaRuntime = try top.bool("exec_via_runtime") ?? config.execViaRuntime
        config.criuPath = try top.string("criu_path") ?? config.criuPath

        if let cni = try top.table("cni", known: ["conf_dir", "bin_dirs", "max_conf_num"]) {
            config.cni.confDir = try cni.string("conf_dir") ?? config.cni.confDir
            config.cni.binDirs = try cni.strings("bin_dirs") ?? config.cni.binDirs
            config.cni.maxConfNum = try cni.int("max_conf_num") ?? config.cni.maxConfNum
        }

        if let runtimes = try top.namedTables("runtimes", known: ["path", "default", "root"]), !runtimes.isEmpty {
            let order = KeyOrder.subkeys(of: ["runtimes"], in: toml)
            let sorted = runtimes.sorted { a, b in
                (order.firstIndex(of: a.name) ?? order.count, a.name) < (order.firstIndex(of: b.name) ?? order.count, b.name)
            }
            config.runtimes = Runtimes()
            for (name, table) in sorted {
                guard let path = try table.string("path") else {
                    throw ConfigError(source: source, key: table.key.appending("path").description,
                                      message: "missing: the runtime's binary, e.g. \"runc\" or \"/usr/sbin/runc\"")
                }
                config.runtimes[name] = Runtime(path: path, isDefault: try table.bool("default") ?? false,
                                                root: try table.string("root") ?? "")
            }
        }

        if let registry = try top.table("registry", known: ["max_concurrent_downloads", "progress_timeout", "mirrors", "configs"]) {
            try parseRegistry(registry, into: &config.registry)
        }

        if let streaming = try top.table("streaming", known: ["address", "port", "tls_cert", "tls_key", "stream_idle_timeout"]) {
            config.streaming.address = try streaming.string("address") ?? config.streaming.address
            config.streaming.port = try streaming.int("port") ?? config.streaming.port
            config.streaming.tlsCert = try streaming.string("tls_cert") ?? config.streaming.tlsCert
            config.streaming.tlsKey = try streaming.string("tls_key") ?? config.streaming.tlsKey
            config.streaming.streamIdleTimeout = try streaming.duration("stream_idle_timeout") ?? config.streaming.streamIdleTimeout
        }

        if let timeouts = try top.table("timeouts", known: ["shim_call", "shim_start", "shim_connect", "cni_plugin", "shutdown_grace"]) {
            config.timeouts.shimCall = try timeouts.duration("shim_call") ?? config.timeouts.shimCall
            config.timeouts.shimStart = try timeouts.duration("shim_start") ?? config.timeouts.shimStart
            config.timeouts.shimConnect = try timeouts.duration("shim_connect") ?? config.timeouts.shimConnect
            config.timeouts.cniPlugin = try timeouts.duration("cni_plugin") ?? config.timeouts.cniPlugin
            config.timeouts.shutdownGrace = try timeouts.duration("shutdown_grace") ?? config.timeouts.shutdownGrace
        }

        if let metrics = try top.table("metrics", known: ["address"]) {
            config.metrics.address = try metrics.string("address") ?? config.metrics.address
        }

        if let images = try top.table("images", known: ["pinned"]) {
            config.images.pinned = try images.strings("pinned") ?? config.images.pinned
        }

        try config.validate(source: source)
        return config
    }

    private static func parseRegistry(_ registry: TableReader, into config: inout Registry) throws(ConfigError) {
        config.maxConcurrentDownloads = try registry.int("max_concurrent_downloads") ?? config.maxConcurrentDownloads
        config.progressTimeout = try registry.duration("progress_timeout") ?? config.progressTimeout
        for (host, table) in try registry.namedTables("mirrors", known: ["endpoints", "upstream"]) ?? [] {
            var mirror = Registry.Mirror()
            mirror.endpoints = try table.strings("endpoints") ?? mirror.endpoints
            mirror.upstream = try table.bool("upstream") ?? mirror.upstream
            config.mirrors[host] = mirror
        }
        let hostKeys: Set<String> = ["insecure_skip_verify", "ca_file", "cert_file", "key_file", "username", "password",
                                     "auth", "identity_token", "plain_http"]
        for (host, table) in try registry.namedTables("configs", known: hostKeys) ?? [] {
            var hostConfig = Registry.HostConfig()
            hostConfig.insecureSkipVerify = try table.bool("insecure_skip_verify") ?? false
            hostConfig.caFile = try table.string("ca_file") ?? ""
            hostConfig.certFile = try table.string("cert_file") ?? ""
            hostConfig.keyFile = try table.string("key_file") ?? ""
            hostConfig.username = try table.string("username") ?? ""
            hostConfig.password = try table.string("password") ?? ""
            hostConfig.auth = try table.string("auth") ?? ""
            hostConfig.identityToken = try table.string("identity_token") ?? ""
            hostConfig.plainHTTP = try table.bool("plain_http") ?? false
            config.configs[host] = hostConfig
        }
    }
}
