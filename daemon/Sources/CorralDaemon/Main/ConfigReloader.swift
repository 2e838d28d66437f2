import CorralConfig
import CorralImages
import CorralRegistry
import Logging
import Synchronization

/// SIGHUP: reads the config file again (with the command line's flags over it, as at start) and
/// applies what a running daemon can change: log levels and target, registry settings (for the
/// pulls that start from then on) and pinned images. Every other changed setting is named as
/// needing a restart, and keeps being named until corrald restarts.
final class ConfigReloader: Sendable {
    private let path: String?
    private let flags: FlagOverrides
    private let images: ImageStore
    private let logger: Logger
    /// What runs now: the start-up config with the reloadable parts of later ones.
    private let running: Mutex<DaemonConfig>

    init(running: DaemonConfig, path: String?, flags: FlagOverrides, images: ImageStore, logger: Logger) {
        self.running = Mutex(running)
        self.path = path
        self.flags = flags
        self.images = images
        self.logger = logger
    }

    func reload() {
        var fresh: DaemonConfig
        do {
            fresh = try DaemonConfig.load(path: path)
            flags.apply(to: &fresh)
            try fresh.validate(source: "flags")
        } catch {
            logger.error("reload failed; keeping the running configuration", metadata: ["error": "\(error)"])
            return
        }
        let current = running.withLock { $0 }
        var applied: [String] = []
        if fresh.logLevel != current.logLevel || fresh.logLevels != current.logLevels || fresh.logTarget != current.logTarget {
            DaemonLogHandler.apply(fresh)
            applied.append("log")
        }
        if fresh.registry != current.registry {
            images.reconfigure(registry: RegistryConfiguration(fresh))
            applied.append("registry")
        }
        if fresh.images.pinned != current.images.pinned {
            images.pin(fresh.images.pinned)
            applied.append("images.pinned")
        }
        running.withLock {
            $0.logLevel = fresh.logLevel
            $0.logLevels = fresh.logLevels
            $0.logTarget = fresh.logTarget
            $0.registry = fresh.registry
            $0.images = fresh.images
        }
        let needRestart = Self.restartOnly(current, fresh)
        logger.notice("configuration reloaded", metadata: [
            "applied": "\(applied.isEmpty ? "nothing changed" : applied.joined(separator: ","))",
            "needs_restart": "\(needRestart.isEmpty ? "nothing" : needRestart.joined(separator: ","))",
        ])
    }

    /// The changed settings a running daemon cannot take on.
    static func restartOnly(_ old: DaemonConfig, _ new: DaemonConfig) -> [String] {
        var names: [String] = []
        if old.root != new.root { names.append("root") }
        if old.state != new.state { names.append("state") }
        if old.socket != new.socket { names.append("socket") }
        if old.shimPath != new.shimPath { names.append("shim_path") }
        if old.cgroupDriver != new.cgroupDriver { names.append("cgroup_driver") }
        if old.restrictOOMScoreAdj != new.restrictOOMScoreAdj { names.append("restrict_oom_score_adj") }
        if old.execViaRuntime != new.execViaRuntime { names.append("exec_via_runtime") }
        if old.criuPath != new.criuPath { names.append("criu_path") }
        if old.cni != new.cni { names.append("cni") }
        if old.runtimes != new.runtimes { names.append("runtimes") }
        if old.streaming != new.streaming { names.append("streaming") }
        if old.timeouts != new.timeouts { names.append("timeouts") }
        if old.metrics != new.metrics { names.append("metrics") }
        return names
    }
}
