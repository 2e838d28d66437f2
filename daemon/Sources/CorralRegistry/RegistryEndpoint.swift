/// One place to ask for a repository: a mirror endpoint or the registry itself.
struct RegistryEndpoint: Sendable, Equatable, CustomStringConvertible {
    /// `https://registry-1.docker.io/v2` or `http://127.0.0.1:5000/prefix/v2`
    var base: String
    /// `host[:port]` as the URL has it: the key of per-host settings.
    var host: String
    var isMirror: Bool

    var description: String { base }

    func url(_ repository: String, _ kind: String, _ reference: String) -> String {
        base + "/" + repository + "/" + kind + "/" + reference
    }

    /// The endpoints for a registry host, in the order to try them.
    static func endpoints(for registry: String, configuration: RegistryConfiguration) throws(ImageError) -> [RegistryEndpoint] {
        var result: [RegistryEndpoint] = []
        let mirror = configuration.mirrors[registry]
        for endpoint in mirror?.endpoints ?? [] {
            result.append(try parse(endpoint, configuration: configuration))
        }
        if mirror?.upstream ?? true {
            let host = registry == ImageReference.dockerHub ? "registry-1.docker.io" : registry
            let settings = configuration.hosts[registry] ?? configuration.host(host)
            let scheme = settings.plainHTTP ? "http" : "https"
            result.append(RegistryEndpoint(base: scheme + "://" + host + "/v2", host: host, isMirror: false))
        }
        guard !result.isEmpty else {
            throw .invalidArgument("registry \(registry) has no endpoints: its mirrors are empty and upstream is off")
        }
        return result
    }

    /// A mirror endpoint: `http://` or `https://`, host, optional path prefix.
    static func parse(_ text: String, configuration: RegistryConfiguration) throws(ImageError) -> RegistryEndpoint {
        var rest = Substring(text)
        let scheme: String
        if rest.hasPrefix("https://") {
            scheme = "https"
            rest = rest.dropFirst(8)
        } else if rest.hasPrefix("http://") {
            scheme = "http"
            rest = rest.dropFirst(7)
        } else {
            // A bare host is HTTPS unless its settings say plain HTTP.
            let host = String(rest.prefix { $0 != "/" })
            scheme = configuration.host(host).plainHTTP ? "http" : "https"
        }
        let host = String(rest.prefix { $0 != "/" })
        guard !host.isEmpty, ImageReference.isDomain(host) else {
            throw .invalidArgument("registry mirror endpoint \"\(text)\" is not a URL")
        }
        var path = String(rest.dropFirst(host.count))
        while path.hasSuffix("/") { path.removeLast() }
        if !path.hasSuffix("/v2") { path += "/v2" }
        return RegistryEndpoint(base: scheme + "://" + host + path, host: host, isMirror: true)
    }
}
