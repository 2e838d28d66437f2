import Logging

/// Talks the OCI distribution protocol to registries and their mirrors.
final class RegistryClient: Sendable {
    let configuration: RegistryConfiguration
    let logger: Logger

    init(configuration: RegistryConfiguration, logger: Logger) {
        self.configuration = configuration
        self.logger = logger
    }

    func shutdown() async {}
}
