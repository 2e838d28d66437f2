import CorralSystemd
import GRPCCore
import GRPCNIOTransportHTTP2Posix
import Logging
import ServiceLifecycle

/// The CRI server as a service of the daemon's group. A graceful shutdown (SIGTERM, SIGINT)
/// closes the socket to new connections and refuses new calls on open ones, while the calls
/// in flight finish; the group cancels whatever is left once `[timeouts] shutdown_grace` is up.
/// Event subscriptions never finish by themselves: they end at once, so they don't hold the drain.
struct CRIServing: Service {
    let cri: CRIServer
    let server: GRPCServer<HTTP2ServerTransport.Posix>
    let events: ContainerEventBroadcaster
    let logger: Logger
    /// Runs once the socket serves.
    let onListening: @Sendable () -> Void

    func run() async throws {
        let (cri, server, events, logger) = (self.cri, self.server, self.events, self.logger)
        try await withGracefulShutdownHandler {
            try await withThrowingDiscardingTaskGroup { group in
                group.addTask {
                    _ = try await server.listeningAddress
                    onListening()
                }
                try await cri.serve(server)
            }
        } onGracefulShutdown: {
            Systemd.notify("STOPPING=1")
            logger.info("stopping: no new CRI calls; those in flight may finish")
            server.beginGracefulShutdown()
            events.close()
        }
    }
}
