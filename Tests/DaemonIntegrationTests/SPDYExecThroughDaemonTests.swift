import StreamingTestSupport
import Testing

/// Exec over SPDY/3.1, as kubectl and crictl do it, through a real corrald into a real
/// container: the CRI's Exec gives a URL, the test client speaks to the streaming server there,
/// and the bytes go through the daemon's FIFOs and the shim to runc's process.
@Suite("Exec over SPDY through corrald", .serialized, .enabled(if: DaemonFixture.available))
struct SPDYExecThroughDaemonTests {
    @Test("a terminal exec follows resizes (stty size) and reports its exit code")
    func ttyExecWithResize() async throws {
        try await DaemonFixture.withStreamingPod(["sleep", "3600"]) { daemon, _, container in
            let url = try await daemon.execURL(container, ["sh"], tty: true, stdin: true)
            let client = try #require(try await SPDYTestClient.connect(url).0)
            let streams = try await within { try await openExecStreams(client, stdin: true, stderr: false, resize: true) }
            let output = Transcript.reading(streams["stdout"]!)
            let type: (String) async throws -> Void = { try await streams["stdin"]!.write($0) }

            try await streams["resize"]!.write(#"{"Width":100,"Height":33}"# + "\n")
            try await output.type("stty size\n", until: "33 100", with: type)
            try await streams["resize"]!.write(#"{"Width":120,"Height":40}"# + "\n")
            try await output.type("stty size\n", until: "40 120", with: type)

            try await type("exit 3\n")
            #expect(await output.waitEnded())
            let status = try await within { await streams["error"]!.readText() }
            #expect(exitCode(ofStatus: status) == 3, "status: \(status)")
            await client.close()
        }
    }

    @Test("without a terminal, stdout and stderr stay apart and the exit code is in the error stream's Status")
    func nonTTYExitCode() async throws {
        try await DaemonFixture.withStreamingPod(["sleep", "3600"]) { daemon, _, container in
            let url = try await daemon.execURL(container, ["sh", "-c", "echo out; echo err >&2; exit 7"])
            let client = try #require(try await SPDYTestClient.connect(url).0)
            let streams = try await within { try await openExecStreams(client) }
            let (out, err, status) = try await within {
                (await streams["stdout"]!.readToEnd(), await streams["stderr"]!.readToEnd(), await streams["error"]!.readText())
            }
            #expect(out.bytes.text == "out\n" && out.fin)
            #expect(err.bytes.text == "err\n" && err.fin)
            #expect(status.contains(#""reason":"NonZeroExitCode""#))
            #expect(exitCode(ofStatus: status) == 7, "status: \(status)")
            await client.close()

            let passing = try #require(try await SPDYTestClient.connect(try await daemon.execURL(container, ["true"])).0)
            let passed = try await within { try await openExecStreams(passing) }
            #expect(try await within { await passed["error"]!.readText() } == #"{"metadata":{},"status":"Success"}"#)
            await passing.close()
        }
    }

    @Test("cat ends when the client closes stdin, after echoing every byte")
    func stdinCloseEndsCat() async throws {
        try await DaemonFixture.withStreamingPod(["sleep", "3600"]) { daemon, _, container in
            let url = try await daemon.execURL(container, ["cat"], stdin: true)
            let client = try #require(try await SPDYTestClient.connect(url).0)
            let streams = try await within { try await openExecStreams(client, stdin: true) }
            let output = Transcript.reading(streams["stdout"]!)
            // More than a pipe holds, so the copy has to wait for the reader on the way.
            let payload = (0..<(512 << 10)).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ $0 >> 9) }
            for offset in stride(from: 0, to: payload.count, by: 16 << 10) {
                try await streams["stdin"]!.write(Array(payload[offset..<min(offset + (16 << 10), payload.count)]))
            }
            try await streams["stdin"]!.close()
            #expect(await output.waitEnded(timeout: .seconds(30)))
            #expect(difference(output.bytes(), payload) == nil)
            #expect(try await within { await streams["error"]!.readText() } == #"{"metadata":{},"status":"Success"}"#)
            await client.close()
        }
    }

    @Test("a resize stream on an exec without a terminal is ignored")
    func resizeWithoutTTYIsIgnored() async throws {
        try await DaemonFixture.withStreamingPod(["sleep", "3600"]) { daemon, _, container in
            let url = try await daemon.execURL(container, ["sh", "-c", "read line; echo \"got $line\""], stdin: true)
            let client = try #require(try await SPDYTestClient.connect(url).0)
            let streams = try await within { try await openExecStreams(client, stdin: true, resize: true) }
            try await streams["resize"]!.write(#"{"Width":10,"Height":5}"# + "\n")
            try await streams["stdin"]!.write("hello\n")
            let out = try await within { await streams["stdout"]!.readToEnd() }
            #expect(out.bytes.text == "got hello\n")
            #expect(try await within { await streams["error"]!.readText() } == #"{"metadata":{},"status":"Success"}"#)
            await client.close()
        }
    }

    @Test("a client that hangs up mid-stream takes its exec'ed process and FIFOs with it")
    func disconnectKillsTheProcess() async throws {
        try await DaemonFixture.withStreamingPod(["sleep", "3600"]) { daemon, pod, container in
            let sleeper = ["sleep", uniqueNumber()]
            let url = try await daemon.execURL(container, sleeper, stdin: true)
            let client = try #require(try await SPDYTestClient.connect(url).0)
            _ = try await within { try await openExecStreams(client, stdin: true) }
            #expect(await eventually { !processes(runningExactly: sleeper).isEmpty })
            #expect(try daemon.shimTasks(pod: pod).contains("stream-"))
            #expect(!daemon.streamFIFOs().isEmpty)
            await client.close()
            #expect(await eventually { processes(runningExactly: sleeper).isEmpty })
            #expect(await eventually { daemon.streamFIFOs().isEmpty })
            // The shim forgot the exec; the container itself lives on.
            #expect(await eventually { (try? daemon.shimTasks(pod: pod))?.contains("stream-") == false })
            #expect(try await daemon.containerState(container).state == .containerRunning)
        }
    }
}
