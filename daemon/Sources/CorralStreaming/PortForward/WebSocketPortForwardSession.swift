import Logging

/// Port-forward over WebSocket (kubelet's portforward/websocket.go): for the i-th requested
/// port, channel 2i carries data both ways and 2i+1 errors to the client. The server's first
/// message on each carries the port as two little-endian bytes. One connection per port;
/// the session ends when every port's connection has.
struct WebSocketPortForwardSession: Sendable {
    let connection: WebSocketConnection
    let ports: [Int32]
    let podSandboxID: String
    let backend: any StreamingBackend
    let drain: Duration
    let logger: Logger

    static func readableChannels(portCount: Int) -> [UInt8] {
        (0..<portCount).map { UInt8($0 * 2) }
    }

    func run() async {
        let connection = self.connection
        for (i, port) in ports.enumerated() {
            let prefix = [UInt8(truncatingIfNeeded: port), UInt8(truncatingIfNeeded: port >> 8)]
            try? await connection.send(channel: UInt8(i * 2), prefix)
            try? await connection.send(channel: UInt8(i * 2 + 1), prefix)
        }
        await withDiscardingTaskGroup { group in
            for (i, port) in ports.enumerated() {
                group.addTask { await forward(port: port, data: UInt8(i * 2)) }
            }
        }
        await connection.close(drain: drain)
    }

    private func forward(port: Int32, data: UInt8) async {
        guard let inbound = connection.inbound[data] else { return }
        do {
            try await backend.portForward(podSandboxID: podSandboxID, port: port,
                                          connection: StreamConnection(inbound: inbound, outbound: connection.writer(channel: data)))
        } catch is CancellationError {
        } catch {
            let message = "error forwarding port \(port) to pod \(podSandboxID), uid : \(error)"
            logger.debug("port-forward failed", metadata: ["error": "\(message)"])
            try? await connection.send(channel: data + 1, Array(message.utf8))
        }
        inbound.discard()
    }
}
