import Foundation

extension DaemonConfig {
    /// Checks values that parsed but make no sense. The daemon calls this again after applying its
    /// command-line flags.
    public func validate(source: String = "config") throws(ConfigError) {
        func fail(_ key: ConfigKey, _ message: String) -> ConfigError {
            ConfigError(source: source, key: key.description, message: message)
        }
        func key(_ parts: String...) -> ConfigKey { ConfigKey(parts: parts.map { .key($0) }) }
        func absolute(_ path: String, _ at: ConfigKey, emptyAllowed: Bool = false) throws(ConfigError) {
            if path.isEmpty && emptyAllowed { return }
            guard path.hasPrefix("/") else { throw fail(at, "\(quoted(path)) is not an absolute path") }
        }
        func positive(_ duration: Duration, _ at: ConfigKey) throws(ConfigError) {
            guard duration > .zero else { throw fail(at, "must be longer than 0s") }
        }

        try absolute(root, key("root"))
        try absolute(state, key("state"))
        try absolute(socket, key("socket"))
        guard (0...0o777).contains(socketMode) else {
            throw fail(key("socket_mode"), "\(socketMode) is not permission bits (0o000 to 0o777)")
        }
        guard Self.logLevels.contains(logLevel) else {
            throw fail(key("log_level"), "\(quoted(logLevel)) is not one of \(Self.logLevels.joined(separator: ", "))")
        }
        for subsystem in logLevels.keys.sorted() {
            let at = key("log_levels", subsystem)
            guard Self.logSubsystems.contains(subsystem) else {
                throw fail(at, "\(quoted(subsystem)) is not one of \(Self.logSubsystems.joined(separator: ", "))")
            }
            guard Self.logLevels.contains(logLevels[subsystem]!) else {
                throw fail(at, "\(quoted(logLevels[subsystem]!)) is not one of \(Self.logLevels.joined(separator: ", "))")
            }
        }
        try absolute(shimPath, key("shim_path"), emptyAllowed: true)
        try absolute(criuPath, key("criu_path"), emptyAllowed: true)

        try absolute(cni.confDir, key("cni", "conf_dir"))
        for (index, dir) in cni.binDirs.enumerated() {
            try absolute(dir, key("cni", "bin_dirs").appending(index: index))
        }
        guard cni.maxConfNum >= 0 else { throw fail(key("cni", "max_conf_num"), "must be 0 (all) or more") }

        try validateRuntimes(fail: fail)

        guard registry.maxConcurrentDownloads >= 1 else {
            throw fail(key("registry", "max_concurrent_downloads"), "must be 1 or more")
        }
        try positive(registry.progressTimeout, key("registry", "progress_timeout"))
        for host in registry.mirrors.keys.sorted() {
            let at = key("registry", "mirrors", host)
            guard !host.isEmpty else { throw fail(at, "the registry host is empty") }
            for (index, endpoint) in registry.mirrors[host]!.endpoints.enumerated() where !Self.isHTTPURL(endpoint) {
                throw fail(at.appending("endpoints").appending(index: index),
                           "\(quoted(endpoint)) is not an http:// or https:// URL")
            }
        }
        for host in registry.configs.keys.sorted() {
            let at = key("registry", "configs", host)
            let hostConfig = registry.configs[host]!
            guard !host.isEmpty else { throw fail(at, "the registry host is empty") }
            try absolute(hostConfig.caFile, at.appending("ca_file"), emptyAllowed: true)
            try absolute(hostConfig.certFile, at.appending("cert_file"), emptyAllowed: true)
            try absolute(hostConfig.keyFile, at.appending("key_file"), emptyAllowed: true)
            guard hostConfig.certFile.isEmpty == hostConfig.keyFile.isEmpty else {
                throw fail(at.appending(hostConfig.certFile.isEmpty ? "cert_file" : "key_file"),
                           "cert_file and key_file go together")
            }
        }

        guard !streaming.address.isEmpty else { throw fail(key("streaming", "address"), "must not be empty") }
        guard (0...65535).contains(streaming.port) else {
            throw fail(key("streaming", "port"), "\(streaming.port) is not a port (0 to 65535)")
        }
        try absolute(streaming.tlsCert, key("streaming", "tls_cert"), emptyAllowed: true)
        try absolute(streaming.tlsKey, key("streaming", "tls_key"), emptyAllowed: true)
        guard streaming.tlsCert.isEmpty == streaming.tlsKey.isEmpty else {
            throw fail(key("streaming", streaming.tlsCert.isEmpty ? "tls_cert" : "tls_key"), "tls_cert and tls_key go together")
        }
        guard streaming.streamIdleTimeout >= .zero else {
            throw fail(key("streaming", "stream_idle_timeout"), "must not be negative")
        }

        // A zero deadline would let one hung shim hang the daemon.
        try positive(timeouts.shimCall, key("timeouts", "shim_call"))
        try positive(timeouts.shimStart, key("timeouts", "shim_start"))
        try positive(timeouts.shimConnect, key("timeouts", "shim_connect"))
        // A hung plugin must not hang the pod's start for ever.
        try positive(timeouts.cniPlugin, key("timeouts", "cni_plugin"))
        guard timeouts.shutdownGrace >= .zero else {
            throw fail(key("timeouts", "shutdown_grace"), "must not be negative")
        }

        if !metrics.address.isEmpty && !Self.isHostPort(metrics.address) {
            throw fail(key("metrics", "address"), "\(quoted(metrics.address)) is not host:port")
        }
        for (index, image) in images.pinned.enumerated() where image.isEmpty {
            throw fail(key("images", "pinned").appending(index: index), "an empty image reference")
        }
    }

    private func validateRuntimes(fail: (ConfigKey, String) -> ConfigError) throws(ConfigError) {
        let runtimesKey = ConfigKey.root.appending("runtimes")
        guard !runtimes.isEmpty else { throw fail(runtimesKey, "at least one runtime is needed") }
        for (name, runtime) in runtimes {
            let at = runtimesKey.appending(name)
            // kubelet passes RuntimeClass handlers, which Kubernetes requires to be DNS labels.
            guard Self.isDNSLabel(name) else {
                throw fail(at, "\(quoted(name)) is not a runtime handler name (lowercase letters, digits and '-')")
            }
            guard !runtime.path.isEmpty, !runtime.path.contains("/") || runtime.path.hasPrefix("/") else {
                throw fail(at.appending("path"), "\(quoted(runtime.path)) is neither a name to look up on PATH nor an absolute path")
            }
            if !runtime.root.isEmpty && !runtime.root.hasPrefix("/") {
                throw fail(at.appending("root"), "\(quoted(runtime.root)) is not an absolute path")
            }
        }
        let defaults = runtimes.filter { $0.runtime.isDefault }.map { $0.name }
        if defaults.count > 1 {
            throw fail(runtimesKey.appending(defaults[1]).appending("default"),
                       "\(quoted(defaults[0])) is already the default runtime; only one may say default = true")
        }
    }

    static func isHTTPURL(_ text: String) -> Bool {
        guard let url = URL(string: text), let scheme = url.scheme?.lowercased(),
              scheme == "http" || scheme == "https", let host = url.host, !host.isEmpty else { return false }
        return text.lowercased().hasPrefix(scheme + "://")
    }

    static func isHostPort(_ text: String) -> Bool {
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]) else { return false }
        return (0...65535).contains(port)
    }

    static func isDNSLabel(_ name: String) -> Bool {
        let scalars = Array(name.unicodeScalars)
        guard (1...63).contains(scalars.count), scalars.first != "-", scalars.last != "-" else { return false }
        return scalars.allSatisfy { ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "-" }
    }
}
