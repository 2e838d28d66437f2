import CRIGRPC
import CorralConfig
import CorralImages
import CorralStore
import CorralSystem
import Dispatch
import Foundation
import GRPCCore
import GRPCNIOTransportHTTP2Posix
import Logging

/// corrald: the store, the image store and the shims behind the CRI socket. SIGTERM and
/// SIGINT stop the server; the shims and their pods go on, for the next corrald to find.
struct Daemon {
    let config: DaemonConfig
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
        let launcher = ShimLauncher(binary: ShimLauncher.locate(configured: config.shimPath),
                                    stateRoot: config.state, timeouts: settings.timeouts)
        let shims = ShimManager(launcher: launcher, logger: logger)
        let service = CRIService(settings: settings, registry: registry, shims: shims, images: images, logger: logger)
        await service.attachToShims()
        await service.recover()

        let instrumentation = Instrumentation(logger: logger)
        let server = try CRIServer(socketPath: config.socket, services: [
            RuntimeServiceHandler(service: service, instrumentation: instrumentation),
            ImageServiceHandler(service: service, instrumentation: instrumentation),
        ]).makeServer()

        let signals = try SignalEvents([SIGTERM, SIGINT], queue: .global()) { signal in
            logger.info("stopping on signal", metadata: ["signal": "\(signal)"])
            server.beginGracefulShutdown()
        }
        SignalEvents.ignoreBrokenPipes()
        defer { signals.cancel() }
        logger.info("serving the CRI", metadata: ["socket": "\(config.socket)", "root": "\(config.root)",
                                                  "state": "\(config.state)", "shim": "\(launcher.binary)"])
        try await server.serve()
        logger.info("stopped; the shims keep running")
    }
}
