import CorralConfig
import CorralImages
import CorralRegistry
import CorralStore
import CorralStreaming
import CorralSystem
import CorralSystemd
import Logging
import ServiceLifecycle

/// corrald: the store, the image store and the shims behind the CRI socket. SIGTERM and
/// SIGINT stop the server gracefully; the shims and their pods go on, for the next corrald to find.
struct Daemon {
    let config: DaemonConfig
    /// The file the config came from (nil: defaults or /etc/corral/config.toml), read again on SIGHUP.
    let configPath: String?
    let flags: FlagOverrides
    /// One logger per subsystem; `[log_levels]` sets their levels apart.
    let logger = Logger(label: "corrald")

    func run() async throws {
        // kubelet and the runtime must agree on who makes cgroups; systemd's driver needs systemd.
        if config.cgroupDriver == .systemd && !Systemd.booted {
            throw ConfigError(source: configPath ?? "config", key: "cgroup_driver",
                              message: "\"systemd\" needs systemd as this host's init system (there is no /run/systemd/system); "
                                  + "use \"cgroupfs\", and kubelet's cgroupDriver: cgroupfs")
        }
        let settings = try ServiceSettings(config)
        for dir in [config.root, config.state, settings.sandboxesDir, settings.containersDir] {
            try FileSystem.makeDirectories(dir, mode: 0o711)
        }
        let metrics = DaemonMetrics.bootstrap(config)
        let store = try MetadataStore(path: MetadataStore.defaultPath(root: config.root))
        let registry = PodRegistry(store: SQLiteStateStore(store: store))
        try await registry.load()
        let images = try ImageStore(root: config.root, registry: RegistryConfiguration(config), logger: Logger(label: "images"))
        // `[images] pinned`: reported as pinned, so kubelet's image GC leaves them alone.
        images.pin(config.images.pinned)
        let shimBinary = ShimBinary.readOnlyMount(of: ShimLauncher.locate(configured: config.shimPath),
                                                  stateRoot: config.state, logger: logger)
        let launcher = ShimLauncher(binary: shimBinary,
                                    stateRoot: config.state, timeouts: settings.timeouts,
                                    execViaRuntime: config.execViaRuntime)
        let shims = ShimManager(launcher: launcher, logger: Logger(label: "shims"))
        let service = CRIService(settings: settings, registry: registry, shims: shims, images: images, logger: Logger(label: "cri"))
        await service.attachToShims()
        let pods = await registry.allSandboxes.count
        Systemd.notify("STATUS=reconnecting to the shims of \(pods) pods")
        await service.recover()

        var streamingConfiguration = StreamingConfiguration()
        streamingConfiguration.idleTimeout = config.streaming.streamIdleTimeout
        streamingConfiguration.logger = Logger(label: "streaming")
        if !config.streaming.tlsCert.isEmpty {
            streamingConfiguration.tls = .init(certificateChain: config.streaming.tlsCert, privateKey: config.streaming.tlsKey)
        }
        let streaming = try await StreamingServer.start(address: config.streaming.address, port: config.streaming.port,
                                                        backend: ShimStreamingBackend(service: service),
                                                        configuration: streamingConfiguration)
        service.streaming.withLock { $0 = streaming }
        let metricsChannel = try await metrics?.serve(registry: registry, shims: shims, logger: logger)
        let instrumentation = Instrumentation(logger: Logger(label: "cri"))
        let inherited = Systemd.listeningDescriptors().first
        let cri = CRIServer(socketPath: config.socket, services: [
            RuntimeServiceRoutes(handler: RuntimeServiceHandler(service: service, instrumentation: instrumentation)),
            ImageServiceHandler(service: service, instrumentation: instrumentation),
            AdminImagesHandler(service: service, instrumentation: instrumentation),
        ], mode: UInt32(config.socketMode), group: config.socketGroup)
        let server = try cri.makeServer(inherited: inherited)
        SignalEvents.ignoreBrokenPipes()

        let socketName = inherited.map { "fd \($0) (socket activation)" } ?? config.socket
        let (config, logger) = (self.config, self.logger)
        let serving = CRIServing(cri: cri, server: server, events: registry.events, logger: logger) {
            // READY only once the socket serves and the shims are back.
            Systemd.notify("READY=1\nSTATUS=serving the CRI; \(pods) pods recovered")
            logger.info("serving the CRI", metadata: ["socket": "\(socketName)", "root": "\(config.root)",
                                                      "state": "\(config.state)", "shim": "\(launcher.binary)"])
        }
        let reloader = ConfigReloader(running: config, path: configPath, flags: flags, images: images, logger: logger)
        let housekeeping = Housekeeping(registry: registry, instrumentation: instrumentation, reloader: reloader)
        // A graceful shutdown goes through the services last to first: the CRI server drains
        // while housekeeping (the watchdog among it) still runs.
        var group = ServiceGroupConfiguration(
            services: [.init(service: housekeeping),
                       .init(service: serving, successTerminationBehavior: .gracefullyShutdownGroup)],
            gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
        group.maximumGracefulShutdownDuration = config.timeouts.shutdownGrace
        try await ServiceGroup(configuration: group).run()

        // At exit: a metrics listener that will not close is of no consequence.
        try? await metricsChannel?.close()
        await streaming.shutdown()
        await images.shutdown()
        try store.close()
        ShimBinary.release(shimBinary, stateRoot: config.state)
        logger.info("stopped; the shims keep running")
    }
}
