import AsyncHTTPClient
import NIOSSL
import Synchronization

/// HTTP clients by TLS settings: one for every host verified against the system CAs, and
/// one per host with settings of its own (a CA file, a client certificate, no verification).
final class HTTPClients: Sendable {
    private let clients = Mutex<[String: HTTPClient]>([:])
    private let configuration: RegistryConfiguration

    init(configuration: RegistryConfiguration) {
        self.configuration = configuration
    }

    func client(for host: String) throws(ImageError) -> HTTPClient {
        let settings = configuration.host(host)
        let key = settings.customTLS ? host : ""
        if let client = clients.withLock({ $0[key] }) { return client }
        var tls = TLSConfiguration.makeClientConfiguration()
        if settings.insecureSkipVerify { tls.certificateVerification = .none }
        if let ca = settings.caFile { tls.additionalTrustRoots = [.file(ca)] }
        if let cert = settings.certFile {
            guard let keyFile = settings.keyFile else {
                throw .invalidArgument("registry host \(host): cert_file is set without key_file")
            }
            do {
                tls.certificateChain = try NIOSSLCertificate.fromPEMFile(cert).map { .certificate($0) }
                tls.privateKey = .privateKey(try NIOSSLPrivateKey(file: keyFile, format: .pem))
            } catch {
                throw .invalidArgument("registry host \(host): cannot load client certificate: \(error)")
            }
        }
        var config = HTTPClient.Configuration(tlsConfiguration: tls, redirectConfiguration: .follow(max: 10, allowCycles: false),
                                              timeout: .init(connect: .seconds(30)))
        config.decompression = .disabled
        // A refused connection fails at once: the caller retries with backoff or moves to the next endpoint.
        config.connectionPool.retryConnectionEstablishment = false
        let made = HTTPClient(eventLoopGroupProvider: .singleton, configuration: config)
        let (client, spare) = clients.withLock { clients -> (HTTPClient, HTTPClient?) in
            if let existing = clients[key] { return (existing, made) }
            clients[key] = made
            return (made, nil)
        }
        if let spare { try? spare.syncShutdown() }
        return client
    }

    func shutdown() async {
        let all = clients.withLock { clients in
            defer { clients = [:] }
            return Array(clients.values)
        }
        for client in all { try? await client.shutdown() }
    }
}
