/// The three URL shapes the server hands out: `/exec/TOKEN`, `/attach/TOKEN`, `/portforward/TOKEN`.
struct StreamingRoute: Equatable {
    enum Kind: String {
        case exec, attach, portforward
    }

    let kind: Kind
    let token: String

    /// Nil for any other path. The query (kept for `port=`) is not part of the route.
    init?(path: String) {
        let parts = path.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0].isEmpty, let kind = Kind(rawValue: String(parts[1])), !parts[2].isEmpty else {
            return nil
        }
        self.kind = kind
        self.token = String(parts[2])
    }

    /// Splits a request target into path and query.
    static func split(uri: String) -> (path: String, query: String) {
        guard let mark = uri.firstIndex(of: "?") else { return (uri, "") }
        return (String(uri[..<mark]), String(uri[uri.index(after: mark)...]))
    }

    /// Every `port` query value, comma lists included (kubelet's NewV4Options); nil if one
    /// is not a port.
    static func ports(query: String) -> [Int32]? {
        var ports: [Int32] = []
        for item in query.split(separator: "&") {
            let pair = item.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard pair.count == 2, pair[0] == "port" else { continue }
            for value in pair[1].split(separator: ",", omittingEmptySubsequences: false) {
                guard let port = UInt16(value), port > 0 else { return nil }
                ports.append(Int32(port))
            }
        }
        return ports
    }
}
