import CorralConfig
import CorralImages
import CorralRegistry
import CorralSystem
import Foundation

extension ServiceSettings {
    /// What the CRI service takes from the config, plus the one fact read off the host: the
    /// daemon's own oom_score_adj, below which no container may ask to go.
    init(_ config: DaemonConfig) throws {
        self.init()
        root = config.root
        state = config.state
        cniConfDir = config.cni.confDir
        cniBinDirs = config.cni.binDirs
        cniMaxNetworks = config.cni.maxConfNum == 0 ? .max : UInt32(clamping: config.cni.maxConfNum)
        runtimes = config.runtimes.map { Runtime(name: $0.name, path: $0.runtime.path, root: $0.runtime.root) }
        defaultRuntime = config.defaultRuntime
        systemdCgroup = config.cgroupDriver == .systemd
        timeouts = ShimTimeouts(call: config.timeouts.shimCall, start: config.timeouts.shimStart,
                                connect: config.timeouts.shimConnect, cniPlugin: config.timeouts.cniPlugin)
        streamingAddress = config.streaming.address
        criuPath = config.criuPath
        if config.restrictOOMScoreAdj,
           // /proc/self is always there; were it not, containers are left their own scores.
           let own = try? FileSystem.readText("/proc/self/oom_score_adj"),
           let value = Int(own.trimmingCharacters(in: .whitespacesAndNewlines)) {
            daemonOOMScoreAdj = value
        } else {
            daemonOOMScoreAdj = -1000
        }
    }
}

extension RegistryConfiguration {
    init(_ config: DaemonConfig) {
        let registry = config.registry
        self.init(
            mirrors: registry.mirrors.mapValues { Mirror(endpoints: $0.endpoints, upstream: $0.upstream) },
            hosts: registry.configs.mapValues { host in
                Host(insecureSkipVerify: host.insecureSkipVerify,
                     caFile: host.caFile.isEmpty ? nil : host.caFile,
                     certFile: host.certFile.isEmpty ? nil : host.certFile,
                     keyFile: host.keyFile.isEmpty ? nil : host.keyFile,
                     username: host.username.isEmpty ? nil : host.username,
                     password: host.password.isEmpty ? nil : host.password,
                     plainHTTP: host.plainHTTP)
            },
            maxConcurrentDownloads: registry.maxConcurrentDownloads,
            progressTimeout: registry.progressTimeout)
    }
}
