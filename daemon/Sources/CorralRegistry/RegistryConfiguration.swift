/// How to reach registries: mirrors per registry host and TLS and credentials per host. The
/// daemon maps its `[registry]` configuration into this.
public struct RegistryConfiguration: Sendable, Equatable {
    /// Endpoints to try for a registry host, in order, before (or instead of) the host itself.
    public struct Mirror: Sendable, Equatable {
        /// `http://` or `https://` URLs, each with an optional path prefix.
        public var endpoints: [String]
        /// Whether the registry host itself is tried after the endpoints.
        public var upstream: Bool

        public init(endpoints: [String], upstream: Bool = true) {
            self.endpoints = endpoints
            self.upstream = upstream
        }
    }

    /// Settings for one host (`host` or `host:port`), whether a registry or a mirror endpoint.
    public struct Host: Sendable, Equatable {
        public var insecureSkipVerify: Bool
        public var caFile: String?
        public var certFile: String?
        public var keyFile: String?
        public var username: String?
        public var password: String?
        /// Speak plain HTTP to this host (only ever when configured).
        public var plainHTTP: Bool

        public init(insecureSkipVerify: Bool = false, caFile: String? = nil, certFile: String? = nil, keyFile: String? = nil,
                    username: String? = nil, password: String? = nil, plainHTTP: Bool = false) {
            self.insecureSkipVerify = insecureSkipVerify
            self.caFile = caFile
            self.certFile = certFile
            self.keyFile = keyFile
            self.username = username
            self.password = password
            self.plainHTTP = plainHTTP
        }

        var customTLS: Bool { insecureSkipVerify || caFile != nil || certFile != nil }
    }

    public var mirrors: [String: Mirror]
    public var hosts: [String: Host]
    public var maxConcurrentDownloads: Int
    /// A pull that receives nothing for this long is cancelled.
    public var progressTimeout: Duration
    /// Attempts per request on 5xx answers and dropped connections.
    public var retries: Int

    public init(mirrors: [String: Mirror] = [:], hosts: [String: Host] = [:], maxConcurrentDownloads: Int = 3,
                progressTimeout: Duration = .seconds(300), retries: Int = 4) {
        self.mirrors = mirrors
        self.hosts = hosts
        self.maxConcurrentDownloads = max(1, maxConcurrentDownloads)
        self.progressTimeout = progressTimeout
        self.retries = max(1, retries)
    }

    public static let `default` = RegistryConfiguration()

    func host(_ name: String) -> Host {
        hosts[name] ?? Host()
    }
}

/// Credentials for one pull, from the CRI's AuthConfig or the configuration.
public struct RegistryCredentials: Sendable, Equatable {
    public var username: String?
    public var password: String?
    /// base64 of `user:pass`, as in Docker's config.json.
    public var auth: String?
    /// An OAuth2 refresh token, exchanged at the token realm.
    public var identityToken: String?
    /// A bearer token to send as is.
    public var registryToken: String?

    public init(username: String? = nil, password: String? = nil, auth: String? = nil,
                identityToken: String? = nil, registryToken: String? = nil) {
        self.username = username
        self.password = password
        self.auth = auth
        self.identityToken = identityToken
        self.registryToken = registryToken
    }

    /// Username and password, from the fields or decoded from `auth`.
    var basic: (username: String, password: String)? {
        if let username, !username.isEmpty { return (username, password ?? "") }
        guard let auth, let decoded = Base64.decode(auth) else { return nil }
        let text = String(decoding: decoded, as: UTF8.self)
        guard let colon = text.firstIndex(of: ":") else { return nil }
        return (String(text[..<colon]), String(text[text.index(after: colon)...]))
    }
}
