import CRIGRPC
import CorralConfig
import CorralImages
import CorralStore
import CorralStreaming
import CorralSystem
import Dispatch
import Foundation
import GRPCCore
import GRPCNIOTransportHTTP2Posix
import Logging
import Metrics
import NIOCore
import Prometheus
import CRIAPI

/// corrald: the store, the image store and the shims behind the CRI socket. SIGTERM and
/// SIGINT stop the server; the shims and their pods go on, for the next corrald to find.
struct Daemon {
    let config: DaemonConfig
    /// The file the config came from (nil: defaults or /etc/corral/config.toml), read again on SIGHUP.
    let configPath: String?
    let logger: Logger

    func run() async throws {
        let settings = try ServiceSettings(config)
        for dir in [config.root, config.state, settings.sandboxesDir, settings.containersDir] {
            try FileSystem.makeDirectories(dir, mode: 0o711)
        }
        let store = try MetadataStore(path: config.root + "/meta.db")
        let registry = PodRegistry(store: SQLiteStateStore(store: store))
        try await registry.load()
        let images = try ImageStore(root: config.root, registry: RegistryConfiguration(config), logger: logger)
        // `[images] pinned`: reported as pinned, so kubelet's image GC leaves them alone.
        for reference in config.images.pinned {
            do { try images.setPinned(reference, true) } catch {
                logger.notice("a pinned image is not in the store yet", metadata: ["image": "\(reference)"])
            }
        }
        let launcher = ShimLauncher(binary: ShimLauncher.locate(configured: config.shimPath),
                                    stateRoot: config.state, timeouts: settings.timeouts)
        let shims = ShimManager(launcher: launcher, logger: logger)
        let service = CRIService(settings: settings, registry: registry, shims: shims, images: images, logger: logger)
        await service.attachToShims()
        let pods = await registry.allSandboxes.count
        Systemd.notify("STATUS=reconnecting to the shims of \(pods) pods")
        await service.recover()

        let streaming = try await StreamingServer.start(address: config.streaming.address, port: config.streaming.port,
                                                        backend: ShimStreamingBackend(service: service))
        service.streaming.withLock { $0 = streaming }
        logger.info("streaming server listening", metadata: ["url": "\(streaming.baseURL)"])
        let metrics = try await startMetrics(registry: registry, shims: shims)
        let instrumentation = Instrumentation(logger: logger)
        let inherited = Systemd.listeningDescriptors().first
        let cri = CRIServer(socketPath: config.socket, services: [
            RuntimeServiceRoutes(handler: RuntimeServiceHandler(service: service, instrumentation: instrumentation)),
            ImageServiceHandler(service: service, instrumentation: instrumentation),
        ])
        let server = try cri.makeServer(inherited: inherited)

        // One SignalEvents for all three: the signal pipe behind it is process-wide.
        let signals = try SignalEvents([SIGTERM, SIGINT, SIGHUP], queue: .global()) { [config, configPath, logger] signal in
            if signal == SIGHUP {
                Self.reload(current: config, path: configPath, logger: logger)
                return
            }
            logger.info("stopping on signal", metadata: ["signal": "\(signal)"])
            Systemd.notify("STOPPING=1")
            server.beginGracefulShutdown()
        }
        SignalEvents.ignoreBrokenPipes()
        defer { signals.cancel() }
        let socketName = inherited.map { "fd \($0) (socket activation)" } ?? config.socket
        try await withThrowingDiscardingTaskGroup { group in
            group.addTask {
                // READY only once the socket serves and the shims are back.
                _ = try await server.listeningAddress
                Systemd.notify("READY=1\nSTATUS=serving the CRI; \(pods) pods recovered")
                logger.info("serving the CRI", metadata: ["socket": "\(socketName)", "root": "\(config.root)",
                                                          "state": "\(config.state)", "shim": "\(launcher.binary)"])
            }
            if let interval = Systemd.watchdogInterval {
                group.addTask { await Self.keepWatchdog(every: interval, registry: registry) }
            }
            group.addTask { await Self.trimWhenIdle(instrumentation) }
            try await cri.serve(server)
            group.cancelAll()
        }
        try? await metrics?.close()
        await streaming.shutdown()
        await images.shutdown()
        logger.info("stopped; the shims keep running")
    }

    /// Pets the watchdog only while the registry, which every CRI call goes through, answers:
    /// a wedged daemon stops petting and systemd restarts it.
    static func keepWatchdog(every interval: Duration, registry: PodRegistry) async {
        while !Task.isCancelled {
            _ = await registry.allSandboxes.count
            Systemd.notify("WATCHDOG=1")
            try? await Task.sleep(for: interval)
        }
    }

    /// The Prometheus endpoint, when `[metrics] address` is set; every metric of the daemon
    /// (swift-metrics) is recorded into its registry from then on.
    private func startMetrics(registry: PodRegistry, shims: ShimManager) async throws -> (any Channel)? {
        guard !config.metrics.address.isEmpty, let (host, port) = MetricsServer.split(config.metrics.address) else { return nil }
        let prometheus = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: prometheus))
        let server = MetricsServer(registry: prometheus) {
            let pods = await registry.allSandboxes
            let containers = await registry.allContainers
            Gauge(label: "corral_pods", dimensions: [("state", "ready")]).record(pods.filter { $0.state == .sandboxReady }.count)
            Gauge(label: "corral_pods", dimensions: [("state", "notready")]).record(pods.filter { $0.state != .sandboxReady }.count)
            for (state, name) in [(Runtime_V1_ContainerState.containerCreated, "created"), (.containerRunning, "running"),
                                  (.containerExited, "exited"), (.containerUnknown, "unknown")] {
                Gauge(label: "corral_containers", dimensions: [("state", name)]).record(containers.filter { $0.state == state }.count)
            }
            Gauge(label: "corral_shims_connected").record(await shims.connectedCount)
        }
        let channel = try await server.start(host: host, port: port)
        logger.info("serving metrics", metadata: ["address": "\(config.metrics.address)"])
        return channel
    }

    /// SIGHUP: reads the config file again and applies what can change in a running daemon
    /// (the log level); names every other changed setting, which takes a restart.
    static func reload(current: DaemonConfig, path: String?, logger: Logger) {
        let fresh: DaemonConfig
        do {
            fresh = try DaemonConfig.load(path: path)
        } catch {
            logger.error("reload failed; keeping the running configuration", metadata: ["error": "\(error)"])
            return
        }
        if let level = Logger.Level(rawValue: fresh.logLevel) {
            DaemonLogHandler.level.withLock { $0 = level }
        }
        var needRestart: [String] = []
        if fresh.registry != current.registry { needRestart.append("registry") }
        if fresh.cni != current.cni { needRestart.append("cni") }
        if fresh.runtimes != current.runtimes { needRestart.append("runtimes") }
        if fresh.timeouts != current.timeouts { needRestart.append("timeouts") }
        if fresh.streaming != current.streaming { needRestart.append("streaming") }
        if fresh.metrics != current.metrics { needRestart.append("metrics") }
        logger.notice("configuration reloaded", metadata: [
            "log_level": "\(fresh.logLevel)",
            "needs_restart": "\(needRestart.isEmpty ? "nothing" : needRestart.joined(separator: ","))",
        ])
    }

    /// Once start-up is over, and again after each busy spell, gives back what an idle daemon
    /// does not use: free heap, and the clean pages of its code and libraries (start-up faults in
    /// far more of them than serving needs; used ones come back from the page cache).
    static func trimWhenIdle(_ instrumentation: Instrumentation, quiet: Duration = .seconds(10)) async {
        var trimmedAfter: UInt64 = 0
        while !Task.isCancelled {
            try? await Task.sleep(for: .seconds(2))
            let last = instrumentation.lastRequest.load(ordering: .relaxed)
            let quietNanos = UInt64(quiet.components.seconds) * 1_000_000_000
            guard trimmedAfter == 0 || last > trimmedAfter, Clock.monotonicNanos &- last >= quietNanos || last == 0 else { continue }
            WorkingSet.trim()
            trimmedAfter = max(last, 1)
        }
    }
}
