/// Exec or attach over WebSocket (kubelet's remotecommand/websocket.go): channels 0 stdin,
/// 1 stdout, 2 stderr, 3 error, 4 resize, all there from the start.
struct WebSocketRemoteCommandSession: Sendable {
    static let stdin: UInt8 = 0
    static let stdout: UInt8 = 1
    static let stderr: UInt8 = 2
    static let error: UInt8 = 3
    static let resize: UInt8 = 4

    let connection: WebSocketConnection
    let version: RemoteCommandProtocol
    let command: RemoteCommand
    let backend: any StreamingBackend
    let drain: Duration

    /// The channels the client may send on, for these options.
    static func readableChannels(_ options: StreamOptions) -> [UInt8] {
        var channels: [UInt8] = []
        if options.stdin { channels.append(stdin) }
        if options.tty { channels.append(resize) }
        return channels
    }

    func run() async {
        let options = command.options
        // An empty message on the lowest channel the server writes tells the client the
        // connection is ready.
        let first = options.stdout ? Self.stdout : options.stderr ? Self.stderr : Self.error
        try? await connection.send(channel: first, [])

        let connection = self.connection
        let streams = RemoteCommandStreams(
            stdin: connection.inbound[Self.stdin],
            stdout: options.stdout ? connection.writer(channel: Self.stdout) : nil,
            stderr: options.stderr ? connection.writer(channel: Self.stderr) : nil,
            resize: connection.inbound[Self.resize],
            writeError: { try? await connection.send(channel: Self.error, $0) })
        await RemoteCommandRunner.run(command, backend: backend, streams: streams, version: version)
        await connection.close(drain: drain)
    }
}
