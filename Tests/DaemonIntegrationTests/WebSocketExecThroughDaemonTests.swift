import StreamingTestSupport
import Testing

/// Exec over WebSocket (v5.channel.k8s.io, kubectl's default since 1.31) through a real corrald:
/// channel 0 stdin, 1 stdout, 2 stderr, 3 the Status, 4 resizes, 255 the stdin close signal.
@Suite("Exec over WebSocket through corrald", .serialized, .enabled(if: DaemonFixture.available))
struct WebSocketExecThroughDaemonTests {
    static let protocols = ["v5.channel.k8s.io", "v4.channel.k8s.io"]

    @Test("stdin closed by v5's signal ends cat; stderr apart; the exit code in the Status on channel 3")
    func stdinCloseAndExitCode() async throws {
        try await DaemonFixture.withStreamingPod(["sleep", "3600"]) { daemon, _, container in
            let url = try await daemon.execURL(container, ["sh", "-c", "cat; echo err >&2; exit 4"], stdin: true)
            let client = try await within { try await WebSocketTestClient.connect(url, protocols: Self.protocols) }
            #expect(client.subprotocol == "v5.channel.k8s.io")
            let transcript = Transcript.reading(client)
            try await client.send(channel: 0, Array("hello ".utf8))
            try await client.send(channel: 0, Array("world\n".utf8))
            try await client.send(channel: 255, [0])
            #expect(await transcript.waitEnded())
            #expect(transcript.text(1) == "hello world\n")
            #expect(transcript.text(2) == "err\n")
            #expect(exitCode(ofStatus: transcript.text(3)) == 4, "status: \(transcript.text(3))")
            await client.close()
        }
    }

    @Test("a terminal exec follows resizes on channel 4")
    func ttyExecWithResize() async throws {
        try await DaemonFixture.withStreamingPod(["sleep", "3600"]) { daemon, _, container in
            let url = try await daemon.execURL(container, ["sh"], tty: true, stdin: true)
            let client = try await within { try await WebSocketTestClient.connect(url, protocols: Self.protocols) }
            let transcript = Transcript.reading(client)
            let type: (String) async throws -> Void = { try await client.send(channel: 0, Array($0.utf8)) }
            try await client.send(channel: 4, Array(#"{"Width":90,"Height":30}"#.utf8))
            try await transcript.type("stty size\n", until: "30 90", with: type)
            try await type("exit\n")
            #expect(await transcript.waitEnded())
            #expect(transcript.text(3) == #"{"metadata":{},"status":"Success"}"#)
            #expect(transcript.bytes(2).isEmpty)
            await client.close()
        }
    }

    @Test("a resize on channel 4 of an exec without a terminal is ignored")
    func resizeWithoutTTYIsIgnored() async throws {
        try await DaemonFixture.withStreamingPod(["sleep", "3600"]) { daemon, _, container in
            let url = try await daemon.execURL(container, ["sh", "-c", "read line; echo \"got $line\""], stdin: true)
            let client = try await within { try await WebSocketTestClient.connect(url, protocols: Self.protocols) }
            let transcript = Transcript.reading(client)
            try await client.send(channel: 4, Array(#"{"Width":10,"Height":5}"#.utf8))
            try await client.send(channel: 0, Array("hello\n".utf8))
            #expect(await transcript.waitEnded())
            #expect(transcript.text(1) == "got hello\n")
            #expect(transcript.text(3) == #"{"metadata":{},"status":"Success"}"#)
            await client.close()
        }
    }

    @Test("a client that hangs up mid-stream takes its exec'ed process and FIFOs with it")
    func disconnectKillsTheProcess() async throws {
        try await DaemonFixture.withStreamingPod(["sleep", "3600"]) { daemon, pod, container in
            let sleeper = ["sleep", uniqueNumber()]
            let url = try await daemon.execURL(container, sleeper, tty: true, stdin: true)
            let client = try await within { try await WebSocketTestClient.connect(url, protocols: Self.protocols) }
            #expect(await eventually { !processes(runningExactly: sleeper).isEmpty })
            #expect(try daemon.shimTasks(pod: pod).contains("stream-"))
            await client.close()
            #expect(await eventually { processes(runningExactly: sleeper).isEmpty })
            #expect(await eventually { daemon.streamFIFOs().isEmpty })
            #expect(await eventually { (try? daemon.shimTasks(pod: pod))?.contains("stream-") == false })
            #expect(try await daemon.containerState(container).state == .containerRunning)
        }
    }
}
