import Synchronization

/// Requests waiting for their client, each under a single-use random token (kubelet's
/// request cache): the URL handed to the CRI caller carries only the token, the server keeps
/// what it stands for. Tokens expire unused after `ttl`; at most `maxInFlight` wait at once.
final class RequestCache: Sendable {
    enum Entry: Sendable, Equatable {
        case exec(ExecRequest)
        case attach(AttachRequest)
        case portForward(PortForwardRequest)
    }

    private struct Waiting {
        let entry: Entry
        let expires: ContinuousClock.Instant
    }

    private let waiting = Mutex<[String: Waiting]>([:])
    let ttl: Duration
    let maxInFlight: Int

    init(ttl: Duration, maxInFlight: Int) {
        self.ttl = ttl
        self.maxInFlight = maxInFlight
    }

    func insert(_ entry: Entry) throws(StreamingRequestError) -> String {
        let now = ContinuousClock.now
        return try waiting.withLock { (waiting: inout [String: Waiting]) throws(StreamingRequestError) -> String in
            waiting = waiting.filter { $0.value.expires > now }
            guard waiting.count < maxInFlight else { throw .tooManyInFlight }
            var token = Self.newToken()
            while waiting[token] != nil { token = Self.newToken() }
            waiting[token] = Waiting(entry: entry, expires: now + ttl)
            return token
        }
    }

    /// The request behind `token`, which is used up whether or not it was still valid.
    func consume(_ token: String) -> Entry? {
        let now = ContinuousClock.now
        guard let found = waiting.withLock({ $0.removeValue(forKey: token) }), found.expires > now else { return nil }
        return found.entry
    }

    var count: Int { waiting.withLock { $0.count } }

    /// 128 random bits (getrandom behind SystemRandomNumberGenerator), URL-safe: 22 characters.
    private static func newToken() -> String {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<16).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
        return Base64.encode(bytes, urlSafe: true)
    }
}
