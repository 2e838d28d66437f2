@testable import CorralImages
import CorralRegistry
import Logging

/// Runs `body` with a store and always closes its registry connections after (a client
/// left open at deinit is a crash in debug builds).
@discardableResult
func withStore<T>(root: String, registry: RegistryConfiguration,
                  _ body: (ImageStore) async throws -> T) async throws -> T {
    let store = try ImageStore(root: root, registry: registry, logger: Logger(label: "images-test"))
    do {
        let result = try await body(store)
        await store.shutdown()
        return result
    } catch {
        await store.shutdown()
        throw error
    }
}

extension RegistryConfiguration {
    /// docker.io served by a local registry only, as `[registry.mirrors."docker.io"]` would say.
    static func mirroringDockerHub(to address: String) -> RegistryConfiguration {
        RegistryConfiguration(mirrors: ["docker.io": .init(endpoints: ["http://" + address], upstream: false)])
    }

    /// A registry addressed by its own host, over plain HTTP.
    static func plain(_ address: String, progressTimeout: Duration = .seconds(300)) -> RegistryConfiguration {
        RegistryConfiguration(hosts: [address: .init(plainHTTP: true)], progressTimeout: progressTimeout)
    }
}
