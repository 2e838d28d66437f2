import AsyncHTTPClient
import CorralSystem
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import NIOSSL
import OCISpec

/// Talks the OCI distribution protocol to registries and their mirrors: endpoints tried in
/// order, anonymous, Basic and Bearer-token authentication, retries with backoff.
package final class RegistryClient: Sendable {
    package let configuration: RegistryConfiguration
    let logger: Logger
    let clients: HTTPClients
    let tokens = TokenCache()

    static let manifestAccept = [
        MediaType.ociIndex, MediaType.ociManifest, MediaType.dockerManifestList, MediaType.dockerManifest,
        // Asked for only so that an image that has nothing else is recognised and refused clearly.
        MediaType.dockerSchema1Signed + ";q=0.1", MediaType.dockerSchema1 + ";q=0.1",
    ].joined(separator: ", ")

    package init(configuration: RegistryConfiguration, logger: Logger) {
        self.configuration = configuration
        self.logger = logger
        clients = HTTPClients(configuration: configuration)
    }

    package func shutdown() async {
        await clients.shutdown()
    }

    package func repository(_ reference: ImageReference, credentials: RegistryCredentials?) throws(ImageError) -> RegistryRepository {
        RegistryRepository(client: self, name: reference.path, registry: reference.domain,
                           endpoints: try RegistryEndpoint.endpoints(for: reference.domain, configuration: configuration),
                           credentials: credentials)
    }

    // MARK: requests

    /// Sends a request, answering an authentication challenge once. The caller consumes the body.
    func send(_ method: HTTPMethod, _ url: String, endpoint: RegistryEndpoint, scope: String,
              credentials: RegistryCredentials?, headers: [(String, String)] = [],
              deadline: Duration) async throws -> HTTPClientResponse {
        let client = try clients.client(for: endpoint.host)
        var request = HTTPClientRequest(url: url)
        request.method = method
        request.headers.add(name: "User-Agent", value: "corral")
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        // Tokens are per caller as well as per scope: a pull never rides on another's credentials.
        let scopeKey = [endpoint.host, scope, RegistryClient.identity(effectiveCredentials(endpoint: endpoint, credentials))]
            .joined(separator: " ")
        if let token = tokens.cached(forScope: scopeKey) {
            request.headers.replaceOrAdd(name: "Authorization", value: "Bearer " + token)
        } else if tokens.wantsBasic(endpoint.host), let basic = basicHeader(endpoint: endpoint, credentials: credentials) {
            request.headers.replaceOrAdd(name: "Authorization", value: basic)
        }
        let response = try await client.execute(request, timeout: TimeAmount(deadline))
        guard response.status == .unauthorized, let header = response.headers.first(name: "WWW-Authenticate"),
              let challenge = AuthChallenge.parse(header) else { return response }
        _ = try? await response.body.collect(upTo: 64 << 10)
        let authorization = try await authorize(challenge, endpoint: endpoint, scope: scope, scopeKey: scopeKey,
                                                credentials: credentials, deadline: deadline)
        request.headers.replaceOrAdd(name: "Authorization", value: authorization)
        return try await client.execute(request, timeout: TimeAmount(deadline))
    }

    /// The Authorization header a challenge asks for: Basic with the credentials, or a
    /// Bearer token from the realm (cached per scope until it expires).
    private func authorize(_ challenge: AuthChallenge, endpoint: RegistryEndpoint, scope: String, scopeKey: String,
                           credentials: RegistryCredentials?, deadline: Duration) async throws -> String {
        let credentials = effectiveCredentials(endpoint: endpoint, credentials)
        switch challenge.scheme {
        case "basic":
            guard let basic = basicHeader(endpoint: endpoint, credentials: credentials) else {
                throw ImageError.registry(status: 401, message: "\(endpoint.host) wants a username and password, and none is configured")
            }
            tokens.markBasic(endpoint.host)
            return basic
        case "bearer":
            if let registryToken = credentials?.registryToken, !registryToken.isEmpty { return "Bearer " + registryToken }
            guard let realm = challenge.realm, realm.hasPrefix("https://") || realm.hasPrefix("http://") else {
                throw ImageError.registry(status: 401, message: "\(endpoint.host) sent a Bearer challenge without a usable realm")
            }
            let service = challenge.parameters["service"] ?? ""
            let challengeScope = challenge.parameters["scope"] ?? scope
            let cacheKey = [realm, service, challengeScope, RegistryClient.identity(credentials)].joined(separator: " ")
            if let token = tokens.token(cacheKey) {
                tokens.remember(scopeKey, cacheKey: cacheKey)
                return "Bearer " + token
            }
            let (token, validFor) = try await fetchToken(realm: realm, service: service, scope: challengeScope,
                                                         credentials: credentials, deadline: deadline)
            tokens.store(cacheKey, token: token, validFor: validFor)
            tokens.remember(scopeKey, cacheKey: cacheKey)
            return "Bearer " + token
        default:
            throw ImageError.unsupported("\(endpoint.host) asks for \(challenge.scheme) authentication, which is not supported")
        }
    }

    private func fetchToken(realm: String, service: String, scope: String, credentials: RegistryCredentials?,
                            deadline: Duration) async throws -> (String, Int) {
        let host = URLComponents(string: realm)?.host.map { h in URLComponents(string: realm)?.port.map { "\(h):\($0)" } ?? h } ?? ""
        let client = try clients.client(for: host)
        var request: HTTPClientRequest
        if let identity = credentials?.identityToken, !identity.isEmpty {
            // OAuth2 refresh-token grant, as Docker does with an identity token.
            request = HTTPClientRequest(url: realm)
            request.method = .POST
            request.headers.add(name: "Content-Type", value: "application/x-www-form-urlencoded")
            let form = [("grant_type", "refresh_token"), ("refresh_token", identity), ("service", service),
                        ("scope", scope), ("client_id", "corral")]
                .map { "\($0.0)=\(RegistryClient.formEncode($0.1))" }.joined(separator: "&")
            request.body = .bytes(ByteBuffer(string: form))
        } else {
            var components = URLComponents(string: realm)
            var items = components?.queryItems ?? []
            if !service.isEmpty { items.append(URLQueryItem(name: "service", value: service)) }
            if !scope.isEmpty { items.append(URLQueryItem(name: "scope", value: scope)) }
            components?.queryItems = items
            guard let url = components?.string else { throw ImageError.registry(status: 401, message: "bad token realm \(realm)") }
            request = HTTPClientRequest(url: url)
            if let basic = credentials?.basic {
                request.headers.add(name: "Authorization", value: "Basic " + Base64.encode(Array("\(basic.username):\(basic.password)".utf8)))
            }
        }
        request.headers.add(name: "User-Agent", value: "corral")
        let response = try await client.execute(request, timeout: TimeAmount(deadline))
        let body = try await response.body.collect(upTo: 1 << 20)
        guard response.status == .ok else {
            throw ImageError.registry(status: Int(response.status.code),
                                      message: "token request to \(realm) failed: " + RegistryClient.errorMessage(body))
        }
        struct TokenAnswer: Decodable {
            var token: String?
            var access_token: String?
            var expires_in: Int?
        }
        let answer = try JSONCoding.decode(TokenAnswer.self, from: Array(buffer: body), what: "token answer from \(realm)")
        guard let token = answer.token ?? answer.access_token, !token.isEmpty else {
            throw ImageError.registry(status: 401, message: "token answer from \(realm) holds no token")
        }
        return (token, answer.expires_in ?? 60)
    }

    private func effectiveCredentials(endpoint: RegistryEndpoint, _ given: RegistryCredentials?) -> RegistryCredentials? {
        let settings = configuration.host(endpoint.host)
        if let username = settings.username, (given == nil || endpoint.isMirror) {
            return RegistryCredentials(username: username, password: settings.password)
        }
        return given
    }

    private func basicHeader(endpoint: RegistryEndpoint, credentials: RegistryCredentials?) -> String? {
        guard let basic = effectiveCredentials(endpoint: endpoint, credentials)?.basic else { return nil }
        return "Basic " + Base64.encode(Array("\(basic.username):\(basic.password)".utf8))
    }

    /// Who a token was issued to, for the cache key: a digest of the credentials, so that
    /// a wrong password never finds the right one's token.
    static func identity(_ credentials: RegistryCredentials?) -> String {
        guard let credentials else { return "anonymous" }
        if let basic = credentials.basic { return Digest.of(Array("basic\0\(basic.username)\0\(basic.password)".utf8)).hex }
        if let identity = credentials.identityToken { return Digest.of(Array("identity\0\(identity)".utf8)).hex }
        if let token = credentials.registryToken { return Digest.of(Array("token\0\(token)".utf8)).hex }
        return "anonymous"
    }

    static func formEncode(_ value: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return value.addingPercentEncoding(withAllowedCharacters: allowed) ?? value
    }

    /// The registry's own words from an error body (`{"errors":[{"code","message"}]}`), or the body.
    static func errorMessage(_ body: ByteBuffer) -> String {
        struct Errors: Decodable {
            struct Item: Decodable {
                var code: String?
                var message: String?
            }
            var errors: [Item]?
        }
        let bytes = Array(buffer: body)
        if let decoded = try? JSONDecoder().decode(Errors.self, from: Data(bytes)), let items = decoded.errors, !items.isEmpty {
            return items.map { [$0.code?.lowercased().replacingOccurrences(of: "_", with: " "), $0.message]
                .compactMap { $0 }.joined(separator: ": ") }.joined(separator: "; ")
        }
        let text = String(decoding: bytes.prefix(300), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        return text.isEmpty ? "no details" : text
    }

    /// Whether a failure may go away when tried again: dropped connections and the like,
    /// not certificate problems or answers the registry meant.
    static func isTransient(_ error: any Error) -> Bool {
        // A SystemError is the local side's (a full disk): asking the registry again cannot help.
        if error is CancellationError || error is NIOSSLError || error is BoringSSLError || error is SystemError { return false }
        if let image = error as? ImageError {
            if case .registry(let status, _) = image { return status >= 500 || status == 429 || status == 408 }
            if case .unreachable = image { return true }
            return false
        }
        return true
    }
}

extension TimeAmount {
    init(_ duration: Duration) {
        self = .nanoseconds(duration.nanoseconds)
    }
}
