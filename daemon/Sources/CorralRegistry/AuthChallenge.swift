/// A `WWW-Authenticate` challenge: `Bearer realm="…",service="…",scope="…"` or `Basic realm="…"`.
struct AuthChallenge: Sendable, Equatable {
    var scheme: String
    var parameters: [String: String]

    var realm: String? { parameters["realm"] }

    /// The first challenge of a header value (registries send one).
    static func parse(_ header: String) -> AuthChallenge? {
        var chars = Substring(header)
        chars = chars.drop { $0 == " " }
        let scheme = chars.prefix { $0 != " " && $0 != "," }
        guard !scheme.isEmpty else { return nil }
        chars = chars.dropFirst(scheme.count)
        var parameters: [String: String] = [:]
        while true {
            chars = chars.drop { $0 == " " || $0 == "," }
            guard !chars.isEmpty else { break }
            let key = chars.prefix { $0 != "=" && $0 != " " && $0 != "," }
            chars = chars.dropFirst(key.count).drop { $0 == " " }
            guard chars.first == "=" else { break }
            chars = chars.dropFirst().drop { $0 == " " }
            var value = ""
            if chars.first == "\"" {
                chars = chars.dropFirst()
                var escaped = false
                while let c = chars.first {
                    chars = chars.dropFirst()
                    if escaped { value.append(c); escaped = false; continue }
                    if c == "\\" { escaped = true; continue }
                    if c == "\"" { break }
                    value.append(c)
                }
            } else {
                let token = chars.prefix { $0 != "," }
                value = String(token).trimmingSpaces
                chars = chars.dropFirst(token.count)
            }
            parameters[key.lowercased()] = value
        }
        return AuthChallenge(scheme: scheme.lowercased(), parameters: parameters)
    }
}

extension String {
    var trimmingSpaces: String {
        String(drop { $0 == " " }.reversed().drop { $0 == " " }.reversed())
    }
}
