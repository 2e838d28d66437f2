/// The WebSocket subprotocols kubelet's streaming server speaks, and which one a client gets:
/// the first it lists that the server knows (the client's order wins, as in wsstream).
struct WebSocketSubprotocol: Sendable, Equatable {
    enum Encoding: Sendable, Equatable {
        case binary
        /// Channel as an ASCII digit, payload as base64 text (for clients without binary frames).
        case base64
    }

    /// What goes back in Sec-WebSocket-Protocol; nil when the client asked for none.
    let name: String?
    let version: RemoteCommandProtocol
    let encoding: Encoding

    static let remoteCommand: [WebSocketSubprotocol] = [
        WebSocketSubprotocol(name: "v5.channel.k8s.io", version: .v5, encoding: .binary),
        WebSocketSubprotocol(name: "v4.channel.k8s.io", version: .v4, encoding: .binary),
        WebSocketSubprotocol(name: "v4.base64.channel.k8s.io", version: .v4, encoding: .base64),
        WebSocketSubprotocol(name: "channel.k8s.io", version: .v1, encoding: .binary),
        WebSocketSubprotocol(name: "base64.channel.k8s.io", version: .v1, encoding: .base64),
    ]

    /// SPDY tunnelled through binary messages; not kubelet's (its API server speaks it), but
    /// what kubectl 1.31+ asks for first.
    static let spdyTunnel = WebSocketSubprotocol(name: WebSocketTunnelHandler.subprotocol, version: .v4, encoding: .binary)

    static let portForward: [WebSocketSubprotocol] = [
        spdyTunnel,
        WebSocketSubprotocol(name: "v4.channel.k8s.io", version: .v4, encoding: .binary),
        WebSocketSubprotocol(name: "v4.base64.channel.k8s.io", version: .v4, encoding: .base64),
    ]

    /// `offered` is every Sec-WebSocket-Protocol value the client sent. A client that offers
    /// nothing gets the plain binary protocol; one whose offers all fail gets nil.
    static func negotiate(offered: [String], supported: [WebSocketSubprotocol], fallback: RemoteCommandProtocol)
        -> WebSocketSubprotocol? {
        let names = offered.flatMap { $0.split(separator: ",") }
            .map { $0.trimmedOfBlanks() }
            .filter { !$0.isEmpty }
        if names.isEmpty { return WebSocketSubprotocol(name: nil, version: fallback, encoding: .binary) }
        for name in names {
            if let match = supported.first(where: { $0.name == name }) { return match }
        }
        return nil
    }
}

extension StringProtocol {
    /// Without leading and trailing spaces and tabs (header list items).
    func trimmedOfBlanks() -> String {
        var s = self[...]
        while let first = s.first, first == " " || first == "\t" { s = s.dropFirst() }
        while let last = s.last, last == " " || last == "\t" { s = s.dropLast() }
        return String(s)
    }
}
