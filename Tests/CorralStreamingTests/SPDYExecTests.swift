import CorralStreaming
import StreamingTestSupport
import Testing

/// Exec and attach over SPDY/3.1, driven by the test client as kubectl drives kubelet.
@Suite struct SPDYExecTests {
    @Test func execWritesStdoutStderrAndSuccessStatus() async throws {
        let backend = FakeBackend(onExec: { _, io in
            try await io.stdout!.write("hello out\n")
            try await io.stderr!.write("hello err\n")
            return 0
        })
        try await withServer(backend) { server in
            let url = try server.exec(ExecRequest(containerID: "c1", cmd: ["echo", "hi"]))
            #expect(url.hasPrefix(server.baseURL + "/exec/"))
            let (maybeClient, response) = try await SPDYTestClient.connect(url)
            #expect(response.header("X-Stream-Protocol-Version") == "v4.channel.k8s.io")
            #expect(response.header("Upgrade") == "SPDY/3.1")
            let client = try #require(maybeClient)
            let streams = try await within { try await openExecStreams(client) }
            let (out, err, status) = try await within {
                (await streams["stdout"]!.readToEnd(), await streams["stderr"]!.readToEnd(), await streams["error"]!.readText())
            }
            #expect(out.bytes.text == "hello out\n" && out.fin)
            #expect(err.bytes.text == "hello err\n" && err.fin)
            #expect(status == #"{"metadata":{},"status":"Success"}"#)
            let call = try #require(await backend.calls.next())
            #expect(call == FakeBackend.Call(kind: "exec", id: "c1", command: ["echo", "hi"], hadStdout: true, hadStderr: true))
            // The server says GOAWAY and hangs up once the status is out.
            let goAway = try await within { await client.connectionEvents.next() }
            #expect(goAway == .goAway(lastGood: 5, status: 0))
            #expect(try await within { await client.waitClosed() })
        }
    }

    @Test func nonZeroExitIsReportedWithTheCode() async throws {
        let backend = FakeBackend(onExec: { _, _ in 3 })
        try await withServer(backend) { server in
            let url = try server.exec(ExecRequest(containerID: "c1", cmd: ["sh", "-c", "exit 3"], stdout: true, stderr: false))
            let client = try #require(try await SPDYTestClient.connect(url).0)
            let streams = try await within { try await openExecStreams(client, stderr: false) }
            let status = try await within { await streams["error"]!.readText() }
            #expect(status == """
                {"metadata":{},"status":"Failure","message":"command terminated with non-zero exit code: error executing \
                command [sh -c exit 3], exit code 3","reason":"NonZeroExitCode","details":{"causes":[{"reason":"ExitCode",\
                "message":"3"}]}}
                """)
            #expect(await streams["stdout"]!.readToEnd().fin)
        }
    }

    @Test func backendErrorLandsOnTheErrorStream() async throws {
        let backend = FakeBackend(onExec: { _, _ in throw TestFailure("no such container <c9>") })
        try await withServer(backend) { server in
            let url = try server.exec(ExecRequest(containerID: "c9", cmd: ["true"]))
            let client = try #require(try await SPDYTestClient.connect(url).0)
            let streams = try await within { try await openExecStreams(client) }
            let status = try await within { await streams["error"]!.readText() }
            #expect(status == """
                {"metadata":{},"status":"Failure","message":"Internal error occurred: error executing command in container: \
                no such container \\u003cc9\\u003e","reason":"InternalError","details":{"causes":[{"message":"error executing \
                command in container: no such container \\u003cc9\\u003e"}]},"code":500}
                """)
        }
    }

    @Test func olderProtocolsGetOnlyTheFailureMessage() async throws {
        let backend = FakeBackend(onExec: { command, _ in command == ["fail"] ? 7 : 0 })
        try await withServer(backend) { server in
            for version in ["v3.channel.k8s.io", "v2.channel.k8s.io", "channel.k8s.io"] {
                let failing = try #require(try await SPDYTestClient.connect(
                    try server.exec(ExecRequest(containerID: "c", cmd: ["fail"], stderr: false)), protocols: [version]).0)
                #expect(failing.response.header("X-Stream-Protocol-Version") == version)
                let streams = try await within { try await openExecStreams(failing, stderr: false) }
                #expect(try await within { await streams["error"]!.readText() }
                    == "command terminated with non-zero exit code: error executing command [fail], exit code 7")

                let passing = try #require(try await SPDYTestClient.connect(
                    try server.exec(ExecRequest(containerID: "c", cmd: ["pass"], stderr: false)), protocols: [version]).0)
                let passed = try await within { try await openExecStreams(passing, stderr: false) }
                let result = try await within { await passed["error"]!.readToEnd() }
                #expect(result.bytes.isEmpty)
            }
        }
    }

    @Test func stdinIsForwardedAndItsCloseSeen() async throws {
        let backend = FakeBackend(onExec: { _, io in
            var total: [UInt8] = []
            for await chunk in io.stdin! { total += chunk }
            // Only reached once the client half-closed stdin.
            try await io.stdout!.write("read \(total.count) bytes: \(total.text)")
            return 0
        })
        try await withServer(backend) { server in
            let url = try server.exec(ExecRequest(containerID: "c", cmd: ["cat"], stdin: true, stderr: false))
            let client = try #require(try await SPDYTestClient.connect(url).0)
            let streams = try await within { try await openExecStreams(client, stdin: true, stderr: false) }
            try await streams["stdin"]!.write("abc")
            try await streams["stdin"]!.write("def\n")
            try await streams["stdin"]!.close()
            let out = try await within { await streams["stdout"]!.readToEnd() }
            #expect(out.bytes.text == "read 7 bytes: abcdef\n")
            #expect(try await within { await streams["error"]!.readText() } == #"{"metadata":{},"status":"Success"}"#)
        }
    }

    @Test func ttyExecReceivesResizeEvents() async throws {
        let backend = FakeBackend(onExec: { _, io in
            #expect(io.stderr == nil)
            var sizes: [TerminalSize] = []
            for await size in io.resize! {
                sizes.append(size)
                if sizes.count == 3 { break }
            }
            try await io.stdout!.write(sizes.map(\.description).joined(separator: " "))
            return 0
        })
        try await withServer(backend) { server in
            let url = try server.exec(ExecRequest(containerID: "c", cmd: ["sh"], tty: true, stdin: true, stdout: true, stderr: false))
            let client = try #require(try await SPDYTestClient.connect(url).0)
            let streams = try await within {
                try await openExecStreams(client, stdin: true, stderr: false, resize: true)
            }
            // As Go's json.Encoder writes them, one split across two frames and two in one.
            try await streams["resize"]!.write("{\"Width\":80,\"Height\":24}\n{\"Width\":1")
            try await streams["resize"]!.write("20,\"Height\":40}\n{\"width\":200,\"height\":50}\n")
            let out = try await within { await streams["stdout"]!.readToEnd() }
            #expect(out.bytes.text == "80x24 120x40 200x50")
            let call = try #require(await backend.calls.next())
            #expect(call.tty && call.hadResize && call.hadStdin && !call.hadStderr)
        }
    }

    @Test func ttyOverV2HasNoResizeStream() async throws {
        let backend = FakeBackend(onExec: { _, io in
            #expect(io.resize == nil)
            return 0
        })
        try await withServer(backend) { server in
            let url = try server.exec(ExecRequest(containerID: "c", cmd: ["sh"], tty: true, stdout: true, stderr: false))
            let client = try #require(try await SPDYTestClient.connect(url, protocols: ["v2.channel.k8s.io"]).0)
            // v2 expects error and stdout only; the exec starts without a resize stream.
            let streams = try await within { try await openExecStreams(client, stderr: false) }
            let result = try await within { await streams["error"]!.readToEnd() }
            #expect(result.bytes.isEmpty)
        }
    }

    @Test func attachStreamsUntilTheBackendReturns() async throws {
        let backend = FakeBackend(onAttach: { io in
            for await chunk in io.stdin! { try await io.stdout!.write(chunk.reversed()) }
            try await io.stderr!.write("detached")
        })
        try await withServer(backend) { server in
            let url = try server.attach(AttachRequest(containerID: "c2", stdin: true))
            let client = try #require(try await SPDYTestClient.connect(url).0)
            let streams = try await within { try await openExecStreams(client, stdin: true) }
            try await streams["stdin"]!.write("olleh")
            #expect(try await within { await streams["stdout"]!.read(count: 5) }.text == "hello")
            try await streams["stdin"]!.close()
            #expect(try await within { await streams["stderr"]!.readToEnd() }.bytes.text == "detached")
            #expect(try await within { await streams["error"]!.readText() } == #"{"metadata":{},"status":"Success"}"#)
            #expect(try #require(await backend.calls.next()).kind == "attach")
        }
    }

    @Test func attachFailureIsAnInternalError() async throws {
        let backend = FakeBackend(onAttach: { _ in throw TestFailure("container is not running") })
        try await withServer(backend) { server in
            let client = try #require(try await SPDYTestClient.connect(try server.attach(AttachRequest(containerID: "c"))).0)
            let streams = try await within { try await openExecStreams(client) }
            let status = try await within { await streams["error"]!.readText() }
            #expect(status.contains(#""message":"Internal error occurred: error attaching to container: container is not running""#))
        }
    }

    @Test func largeStdinArrivesWholeThroughBackPressure() async throws {
        let backend = FakeBackend(onExec: { _, io in
            var count = 0
            var sum: UInt64 = 0
            for await chunk in io.stdin! {
                count += chunk.count
                for b in chunk { sum = sum &* 31 &+ UInt64(b) }
                // A slow reader: the server must stop reading the socket rather than buffer it all.
                try await Task.sleep(for: .milliseconds(1))
            }
            try await io.stdout!.write("\(count) \(sum)")
            return 0
        })
        try await withServer(backend, configure: { $0.inboundHighWater = 64 << 10 }) { server in
            let url = try server.exec(ExecRequest(containerID: "c", cmd: ["cat"], stdin: true, stderr: false))
            let client = try #require(try await SPDYTestClient.connect(url).0)
            let streams = try await within { try await openExecStreams(client, stdin: true, stderr: false) }
            var expected: UInt64 = 0
            var sent = 0
            for i in 0..<256 {
                let chunk = (0..<16384).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ i) }
                for b in chunk { expected = expected &* 31 &+ UInt64(b) }
                sent += chunk.count
                try await streams["stdin"]!.write(chunk)
            }
            try await streams["stdin"]!.close()
            let out = try await within(60) { await streams["stdout"]!.readToEnd() }
            #expect(out.bytes.text == "\(sent) \(expected)")
            // The server acknowledged what it read, per stream and for the session.
            var updates: [UInt32: UInt64] = [:]
            while let event = await client.connectionEvents.next() {
                if case .windowUpdate(let stream, let delta) = event { updates[stream, default: 0] += UInt64(delta) }
                if case .goAway = event { break }
            }
            #expect(updates[0, default: 0] >= UInt64(sent) - 32768)
            // A stream is not acknowledged once its FIN has arrived: what was under the 32 KiB
            // threshold then, and the read that carried the FIN (at most the 64 KiB the server
            // lets in unread), stay unacknowledged. CI once saw 48 KiB.
            #expect(updates[streams["stdin"]!.id, default: 0] >= UInt64(sent) - (96 << 10))
        }
    }

    @Test func pingIsAnswered() async throws {
        let backend = FakeBackend(onExec: { _, io in
            for await _ in io.stdin! {}
            return 0
        })
        try await withServer(backend) { server in
            let url = try server.exec(ExecRequest(containerID: "c", cmd: ["cat"], stdin: true, stderr: false))
            let client = try #require(try await SPDYTestClient.connect(url).0)
            let streams = try await within { try await openExecStreams(client, stdin: true, stderr: false) }
            try await client.ping(7)
            #expect(try await within { await client.connectionEvents.next() } == .ping(7))
            try await streams["stdin"]!.close()
            _ = try await within { await streams["error"]!.readToEnd() }
        }
    }
}
