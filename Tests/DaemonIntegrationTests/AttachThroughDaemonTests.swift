import GRPCCore
import StreamingTestSupport
import Testing

/// Attach through a real corrald to containers created with stdin (and a terminal): what the
/// container writes reaches the client, what the client types reaches the container, and a
/// client that leaves detaches without stopping it.
@Suite("Attach through corrald", .serialized, .enabled(if: DaemonFixture.available))
struct AttachThroughDaemonTests {
    @Test("attach to a shell on a terminal, resize, detach, attach again over WebSocket and exit")
    func ttyAttachDetachAndReattach() async throws {
        try await DaemonFixture.withStreamingPod(["sh"], stdin: true, tty: true) { daemon, _, container in
            let url = try await daemon.attachURL(container, tty: true, stdin: true)
            let client = try #require(try await SPDYTestClient.connect(url).0)
            let streams = try await within { try await openExecStreams(client, stdin: true, stderr: false, resize: true) }
            let output = Transcript.reading(streams["stdout"]!)
            let type: (String) async throws -> Void = { try await streams["stdin"]!.write($0) }
            try await streams["resize"]!.write(#"{"Width":77,"Height":22}"# + "\n")
            try await output.type("stty size\n", until: "22 77", with: type)
            // The shell's own answer, not the terminal's echo of what was typed.
            try await output.type("echo attached-$((6*7))\n", until: "attached-42", with: type)

            await client.close()
            #expect(await eventually { daemon.streamFIFOs().isEmpty })
            #expect(try await daemon.containerState(container).state == .containerRunning)

            let again = try await daemon.attachURL(container, tty: true, stdin: true)
            let socket = try await within { try await WebSocketTestClient.connect(again, protocols: ["v5.channel.k8s.io"]) }
            let transcript = Transcript.reading(socket)
            try await socket.send(channel: 4, Array(#"{"Width":81,"Height":25}"#.utf8))
            try await transcript.type("stty size\n", until: "25 81") { try await socket.send(channel: 0, Array($0.utf8)) }
            try await socket.send(channel: 0, Array("exit 5\n".utf8))
            // The container's end is the attach's end: output to the last byte, then Success.
            #expect(await transcript.waitEnded())
            #expect(transcript.text(3) == #"{"metadata":{},"status":"Success"}"#)
            #expect(try await daemon.waitExited(container).exitCode == 5)
            await socket.close()
        }
    }

    @Test("with stdin_once, the first client's end of stdin ends cat, and its output stays attached to the end")
    func stdinOnceEndsTheContainer() async throws {
        try await DaemonFixture.withStreamingPod(["cat"], stdin: true, stdinOnce: true) { daemon, _, container in
            let url = try await daemon.attachURL(container, tty: false, stdin: true)
            let client = try #require(try await SPDYTestClient.connect(url).0)
            let streams = try await within { try await openExecStreams(client, stdin: true) }
            let output = Transcript.reading(streams["stdout"]!)
            try await streams["stdin"]!.write("ping\n")
            #expect(await output.waitFor("ping\n"))
            try await streams["stdin"]!.write("last words\n")
            try await streams["stdin"]!.close()
            #expect(await output.waitEnded())
            #expect(output.text() == "ping\nlast words\n")
            #expect(try await within { await streams["error"]!.readText() } == #"{"metadata":{},"status":"Success"}"#)
            #expect(try await daemon.waitExited(container).exitCode == 0)
            await client.close()
        }
    }

    @Test("stdin asked of a container created without it is refused by Attach, saying why")
    func stdinWithoutStdinIsRefused() async throws {
        try await DaemonFixture.withStreamingPod(["sleep", "3600"]) { daemon, _, container in
            do {
                _ = try await daemon.attachURL(container, tty: false, stdin: true)
                Issue.record("Attach with stdin succeeded on a container without stdin")
            } catch let error as RPCError {
                #expect(error.code == .invalidArgument)
                #expect(error.message.contains("not created with stdin"), "\(error.message)")
            }
            // A terminal it does not have: the streaming session fails with a Status that says so.
            let url = try await daemon.attachURL(container, tty: true, stdin: false)
            let client = try #require(try await SPDYTestClient.connect(url).0)
            let streams = try await within { try await openExecStreams(client, stderr: false, resize: true) }
            let status = try await within { await streams["error"]!.readText() }
            #expect(status.contains(#""status":"Failure""#) && status.contains("error attaching to container"), "\(status)")
            await client.close()
            #expect(try await daemon.containerState(container).state == .containerRunning)
        }
    }
}
