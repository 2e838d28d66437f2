import NIOCore
import NIOHTTP1

/// Which session a request gets: exec and attach (remote command) or port-forward, over SPDY
/// or WebSocket, as the client's upgrade asks.
extension StreamingHTTPHandler {
    func remoteCommand(context: ChannelHandlerContext, head: HTTPRequestHead, command: RemoteCommand) {
        let server = self.server
        let configuration = server.configuration
        if Self.isWebSocket(head) {
            guard let subprotocol = WebSocketSubprotocol.negotiate(
                offered: head.headers["Sec-WebSocket-Protocol"], supported: WebSocketSubprotocol.remoteCommand, fallback: .v1)
            else {
                return respond(context: context, status: .forbidden,
                               message: "unable to upgrade: no supported WebSocket subprotocol requested")
            }
            upgradeWebSocket(context: context, head: head, subprotocol: subprotocol) { context in
                let (handler, connection) = self.channelMux(
                    context: context, subprotocol: subprotocol,
                    readable: WebSocketRemoteCommandSession.readableChannels(command.options))
                return ([handler], {
                    await WebSocketRemoteCommandSession(connection: connection, version: subprotocol.version, command: command,
                                                        backend: server.backend, drain: configuration.closeDrainTimeout).run()
                })
            }
        } else {
            let supported = RemoteCommandProtocol.spdy.map(\.rawValue)
            guard let chosen = negotiateSPDY(context: context, head: head, supported: supported),
                  let version = RemoteCommandProtocol(rawValue: chosen) else { return }
            upgradeSPDY(context: context, chosen: chosen, accept: { _ in true }) { connection, streams in
                await SPDYRemoteCommandSession(connection: connection, streams: streams, version: version, command: command,
                                               backend: server.backend, creationTimeout: configuration.streamCreationTimeout,
                                               drain: configuration.closeDrainTimeout, logger: server.logger).run()
            }
        }
    }

    // MARK: Port forward

    func portForward(context: ChannelHandlerContext, head: HTTPRequestHead, query: String, request: PortForwardRequest) {
        let server = self.server
        let configuration = server.configuration
        if Self.isWebSocket(head) {
            // kubelet takes the ports from the CRI request; a client may also name them in the URL.
            guard let queryPorts = StreamingRoute.ports(query: query) else {
                return respond(context: context, status: .badRequest, message: "unable to parse the port query parameter")
            }
            let ports = request.ports.isEmpty ? queryPorts : request.ports
            guard let subprotocol = WebSocketSubprotocol.negotiate(
                offered: head.headers["Sec-WebSocket-Protocol"], supported: WebSocketSubprotocol.portForward, fallback: .v4)
            else {
                return respond(context: context, status: .forbidden,
                               message: "unable to upgrade: no supported WebSocket subprotocol requested")
            }
            if subprotocol == WebSocketSubprotocol.spdyTunnel {
                // SPDY inside the WebSocket: ports come with each stream, as over plain SPDY.
                return upgradeWebSocket(context: context, head: head, subprotocol: subprotocol) { context in
                    let (handlers, start) = try self.spdySession(context: context, accept: SPDYPortForwardSession.accepts) { connection, streams in
                        await SPDYPortForwardSession(connection: connection, streams: streams, podSandboxID: request.podSandboxID,
                                                     backend: server.backend, creationTimeout: configuration.streamCreationTimeout,
                                                     drain: configuration.closeDrainTimeout, logger: server.logger).run()
                    }
                    return ([WebSocketTunnelHandler()] + handlers, start)
                }
            }
            guard !ports.isEmpty, ports.count <= 127 else {
                return respond(context: context, status: .badRequest,
                               message: ports.isEmpty ? "query parameter \"port\" is required" : "too many ports")
            }
            upgradeWebSocket(context: context, head: head, subprotocol: subprotocol) { context in
                let (handler, connection) = self.channelMux(
                    context: context, subprotocol: subprotocol,
                    readable: WebSocketPortForwardSession.readableChannels(portCount: ports.count))
                return ([handler], {
                    await WebSocketPortForwardSession(connection: connection, ports: ports, podSandboxID: request.podSandboxID,
                                                      backend: server.backend, drain: configuration.closeDrainTimeout,
                                                      logger: server.logger).run()
                })
            }
        } else {
            guard let chosen = negotiateSPDY(context: context, head: head, supported: PortForwardProtocol.spdy) else { return }
            upgradeSPDY(context: context, chosen: chosen, accept: SPDYPortForwardSession.accepts) { connection, streams in
                await SPDYPortForwardSession(connection: connection, streams: streams, podSandboxID: request.podSandboxID,
                                             backend: server.backend, creationTimeout: configuration.streamCreationTimeout,
                                             drain: configuration.closeDrainTimeout, logger: server.logger).run()
            }
        }
    }
}
