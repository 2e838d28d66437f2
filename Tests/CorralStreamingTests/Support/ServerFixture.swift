import CorralStreaming
import Logging

/// Starts a server on 127.0.0.1 for one test and always shuts it down.
func withServer<T: Sendable>(_ backend: FakeBackend = FakeBackend(),
                             configure: (inout StreamingConfiguration) -> Void = { _ in },
                             _ body: @Sendable (StreamingServer) async throws -> T) async throws -> T {
    var configuration = StreamingConfiguration()
    configuration.logger.logLevel = .warning
    configure(&configuration)
    let server = try await StreamingServer.start(address: "127.0.0.1", port: 0, backend: backend, configuration: configuration)
    do {
        let result = try await body(server)
        await server.shutdown()
        return result
    } catch {
        await server.shutdown()
        throw error
    }
}
