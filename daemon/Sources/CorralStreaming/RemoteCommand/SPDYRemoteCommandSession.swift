import Logging

/// Exec or attach over SPDY (kubelet's remotecommand/httpstream.go): the client opens one
/// stream per standard stream it wants, typed by the `streamType` header, plus an error
/// stream and (v3+, tty) a resize stream. Once every stream the request calls for is there,
/// the backend runs; then the status goes on the error stream and the connection closes.
struct SPDYRemoteCommandSession: Sendable {
    let connection: SPDYConnection
    let streams: AsyncStream<SPDYStream>
    let version: RemoteCommandProtocol
    let command: RemoteCommand
    let backend: any StreamingBackend
    let creationTimeout: Duration
    let drain: Duration
    let logger: Logger

    struct Received: Sendable {
        var error: SPDYStream?
        var stdin: SPDYStream?
        var stdout: SPDYStream?
        var stderr: SPDYStream?
        var resize: SPDYStream?
        var extra: [SPDYStream] = []

        var all: [SPDYStream] { [error, stdin, stdout, stderr, resize].compactMap { $0 } + extra }
    }

    func run() async {
        let options = command.options
        let wanted: Set<String> = {
            var types: Set<String> = [StreamHeader.error]
            if options.stdin { types.insert(StreamHeader.stdin) }
            if options.stdout { types.insert(StreamHeader.stdout) }
            if options.stderr { types.insert(StreamHeader.stderr) }
            if options.tty && version.supportsResize { types.insert(StreamHeader.resize) }
            return types
        }()

        let received: Received
        switch await waitForStreams(wanted) {
        case .complete(let streams):
            received = streams
        case .timedOut:
            logger.info("closing a remote command connection: the client did not open its streams in time",
                        metadata: ["wanted": "\(wanted.sorted())"])
            await connection.close(drain: drain)
            return
        case .gone:
            await connection.close(drain: drain)
            return
        }

        await withDiscardingTaskGroup { group in
            // Streams opened after the wait are answered (the handler did) but not used.
            group.addTask {
                for await late in streams { late.inbound.discard() }
            }
            // Only stdin and resize carry anything from the client worth reading.
            for stream in [received.error, received.stdout, received.stderr].compactMap({ $0 }) + received.extra {
                stream.inbound.discard()
            }
            let errorStream = received.error!
            let runStreams = RemoteCommandStreams(
                stdin: received.stdin?.inbound,
                stdout: received.stdout?.writer,
                stderr: received.stderr?.writer,
                resize: received.resize?.inbound,
                writeError: { try? await errorStream.write($0) })
            await RemoteCommandRunner.run(command, backend: backend, streams: runStreams, version: version)
            for stream in received.all {
                stream.inbound.discard()
                await stream.close()
            }
            await connection.close(drain: drain)
        }
    }

    enum Wait: Sendable {
        case complete(Received)
        case timedOut
        /// The client closed the connection (or said GOAWAY) first.
        case gone
    }

    /// The streams the request calls for, unless the client takes longer than
    /// `creationTimeout` or goes away first.
    private func waitForStreams(_ wanted: Set<String>) async -> Wait {
        let streams = self.streams
        return await withTaskGroup(of: Wait.self) { group in
            group.addTask {
                var received = Received()
                var missing = wanted
                for await stream in streams {
                    let type = stream.type ?? ""
                    guard missing.remove(type) != nil else {
                        stream.inbound.discard()
                        received.extra.append(stream)
                        continue
                    }
                    switch type {
                    case StreamHeader.error: received.error = stream
                    case StreamHeader.stdin: received.stdin = stream
                    case StreamHeader.stdout: received.stdout = stream
                    case StreamHeader.stderr: received.stderr = stream
                    default: received.resize = stream
                    }
                    if missing.isEmpty { return .complete(received) }
                }
                return .gone
            }
            group.addTask {
                do {
                    try await Task.sleep(for: creationTimeout)
                    return .timedOut
                } catch {
                    return .gone
                }
            }
            let first = await group.next() ?? .gone
            group.cancelAll()
            return first
        }
    }
}
