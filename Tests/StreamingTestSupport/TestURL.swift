/// The parts of the http:// URLs the streaming server hands out.
public enum TestURL {
    /// host, port and path-with-query of an http:// URL.
    public static func parse(_ url: String) throws -> (String, Int, String) {
        guard url.hasPrefix("http://") else { throw StreamTestFailure("not an http URL: \(url)") }
        let rest = url.dropFirst("http://".count)
        let slash = rest.firstIndex(of: "/") ?? rest.endIndex
        let authority = rest[..<slash]
        let target = slash == rest.endIndex ? "/" : String(rest[slash...])
        guard let colon = authority.lastIndex(of: ":"), let port = Int(authority[authority.index(after: colon)...]) else {
            throw StreamTestFailure("no port in \(url)")
        }
        let host = authority[..<colon].trimmingCharacters(in: ["[", "]"])
        return (host, port, target)
    }
}

private extension Substring {
    func trimmingCharacters(in set: Set<Character>) -> String {
        var s = self
        while let c = s.first, set.contains(c) { s = s.dropFirst() }
        while let c = s.last, set.contains(c) { s = s.dropLast() }
        return String(s)
    }
}
