/// An exec or attach, whichever transport carries it.
enum RemoteCommand: Sendable {
    case exec(ExecRequest)
    case attach(AttachRequest)

    var options: StreamOptions {
        switch self {
        case .exec(let request): request.options
        case .attach(let request): request.options
        }
    }
}

/// The streams a transport set up for one remote command, in the transport's own terms.
struct RemoteCommandStreams: Sendable {
    var stdin: InboundBytes?
    var stdout: StreamWriter?
    var stderr: StreamWriter?
    /// The raw resize stream (JSON objects); only read for a tty.
    var resize: InboundBytes?
    /// Sends the error stream's one message.
    var writeError: @Sendable ([UInt8]) async -> Void
}

/// Runs the backend over the streams and reports the outcome as kubelet does (exec.go, attach.go).
enum RemoteCommandRunner {
    static func run(_ command: RemoteCommand, backend: any StreamingBackend, streams: RemoteCommandStreams,
                    version: RemoteCommandProtocol) async {
        let tty = command.options.tty
        var resizeTask: Task<Void, Never>?
        var resize: AsyncStream<TerminalSize>?
        if tty, let raw = streams.resize {
            let (events, continuation) = AsyncStream.makeStream(of: TerminalSize.self, bufferingPolicy: .bufferingNewest(16))
            resize = events
            resizeTask = Task {
                var decoder = ResizeDecoder()
                for await chunk in raw {
                    for size in decoder.feed(chunk) { continuation.yield(size) }
                }
                continuation.finish()
            }
        } else {
            streams.resize?.discard()
        }
        let io = StreamIO(stdin: streams.stdin, stdout: streams.stdout, stderr: tty ? nil : streams.stderr, resize: resize)

        let status: ExecStatus
        switch command {
        case .exec(let request):
            do {
                let code = try await backend.exec(containerID: request.containerID, command: request.cmd, tty: tty, io: io)
                status = code == 0 ? .success : .nonZeroExit(code: code, command: request.cmd)
            } catch {
                status = .failure("error executing command in container: \(error)")
            }
        case .attach(let request):
            do {
                try await backend.attach(containerID: request.containerID, tty: tty, io: io)
                status = .success
            } catch {
                status = .failure("error attaching to container: \(error)")
            }
        }

        // The client waits for end-of-file on its outputs before it reads the status.
        await streams.stdout?.close()
        await streams.stderr?.close()
        if let payload = status.errorStreamPayload(for: version) {
            await streams.writeError(payload)
        }
        streams.stdin?.discard()
        streams.resize?.discard()
        resizeTask?.cancel()
        await resizeTask?.value
    }
}
