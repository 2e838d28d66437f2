import Synchronization

/// Bearer tokens by realm, service, scope and who asked, until they expire.
final class TokenCache: Sendable {
    private struct Entry {
        var token: String
        var expires: ContinuousClock.Instant
    }

    private let entries = Mutex<[String: Entry]>([:])

    func token(_ key: String) -> String? {
        entries.withLock { entries in
            guard let entry = entries[key] else { return nil }
            if entry.expires <= .now {
                entries[key] = nil
                return nil
            }
            return entry.token
        }
    }

    /// Keeps a token a little less than it is valid for, so it is not sent as it expires.
    func store(_ key: String, token: String, validFor seconds: Int) {
        let margin = min(10, seconds / 10)
        entries.withLock { $0[key] = Entry(token: token, expires: .now + .seconds(max(1, seconds - margin))) }
    }

    /// The last token a host gave for a scope: sent with the first request, saving a 401.
    private let lastByScope = Mutex<[String: String]>([:])

    func remember(_ scopeKey: String, cacheKey: String) {
        lastByScope.withLock { $0[scopeKey] = cacheKey }
    }

    func cached(forScope scopeKey: String) -> String? {
        guard let key = lastByScope.withLock({ $0[scopeKey] }) else { return nil }
        return token(key)
    }

    /// Hosts that answered with a Basic challenge: later requests carry the credentials at once.
    private let basicHosts = Mutex<Set<String>>([])

    func markBasic(_ host: String) {
        _ = basicHosts.withLock { $0.insert(host) }
    }

    func wantsBasic(_ host: String) -> Bool {
        basicHosts.withLock { $0.contains(host) }
    }
}
