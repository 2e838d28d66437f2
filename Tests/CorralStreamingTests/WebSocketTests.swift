import CorralStreaming
import StreamingTestSupport
import Testing

/// Exec, attach and port-forward over WebSocket, with kubelet's channel framing.
@Suite struct WebSocketTests {
    @Test func execOverV5WithStdinClosedBySignal() async throws {
        let backend = FakeBackend(onExec: { _, io in
            let input = await io.stdin!.collect()
            try await io.stdout!.write("got \(input.text)")
            try await io.stderr!.write("warn")
            return 2
        })
        try await withServer(backend) { server in
            let url = try server.exec(ExecRequest(containerID: "c", cmd: ["cat"], stdin: true))
            let client = try await within { try await WebSocketTestClient.connect(url, protocols: ["v5.channel.k8s.io", "v4.channel.k8s.io"]) }
            #expect(client.subprotocol == "v5.channel.k8s.io")
            // First, the empty "ready" message on stdout.
            let ready = try #require(try await within { await client.receive() })
            #expect(ready.channel == 1 && ready.payload.isEmpty)
            try await client.send(channel: 0, Array("ab".utf8))
            try await client.send(channel: 0, Array("cd".utf8))
            try await client.send(channel: 255, [0])  // CLOSE stdin
            let messages = try await within { await client.receiveAll() }
            #expect(messages[1]?.text == "got abcd")
            #expect(messages[2]?.text == "warn")
            let status = try #require(messages[3]).text
            #expect(status.hasPrefix(#"{"metadata":{},"status":"Failure","message":"command terminated with non-zero exit code: "#))
            #expect(status.hasSuffix(#""reason":"NonZeroExitCode","details":{"causes":[{"reason":"ExitCode","message":"2"}]}}"#))
        }
    }

    @Test func execOverV4Base64() async throws {
        let backend = FakeBackend(onExec: { _, io in
            try await io.stdout!.write([0, 1, 2, 255])
            return 0
        })
        try await withServer(backend) { server in
            let url = try server.exec(ExecRequest(containerID: "c", cmd: ["x"], stderr: false))
            let client = try await within { try await WebSocketTestClient.connect(url, protocols: ["v4.base64.channel.k8s.io"]) }
            #expect(client.subprotocol == "v4.base64.channel.k8s.io")
            var messages: [(UInt8, String)] = []
            while let (channel, payload, isText) = try await within(20, "receive", { await client.receive() }) {
                #expect(isText)
                messages.append((channel, payload.text))
            }
            // The channel is an ASCII digit, the payload base64.
            #expect(messages.map(\.0) == [UInt8(ascii: "1"), UInt8(ascii: "1"), UInt8(ascii: "3")])
            #expect(messages.map(\.1) == ["", "AAEC/w==", "eyJtZXRhZGF0YSI6e30sInN0YXR1cyI6IlN1Y2Nlc3MifQ=="])
        }
    }

    @Test func ttyAttachOverV4WithResize() async throws {
        let backend = FakeBackend(onAttach: { io in
            var it = io.resize!.makeAsyncIterator()
            let size = await it.next()
            try await io.stdout!.write("size \(size!)")
        })
        try await withServer(backend) { server in
            let url = try server.attach(AttachRequest(containerID: "c", tty: true, stdin: true, stdout: true, stderr: false))
            let client = try await within { try await WebSocketTestClient.connect(url, protocols: ["v4.channel.k8s.io"]) }
            try await client.send(channel: 4, Array(#"{"Width":132,"Height":43}"#.utf8))
            let messages = try await within { await client.receiveAll() }
            #expect(messages[1]?.text == "size 132x43")
            #expect(messages[3]?.text == #"{"metadata":{},"status":"Success"}"#)
        }
    }

    @Test func noSubprotocolMeansPlainChannels() async throws {
        let backend = FakeBackend(onExec: { _, _ in 4 })
        try await withServer(backend) { server in
            let url = try server.exec(ExecRequest(containerID: "c", cmd: ["x"], stdout: false, stderr: true))
            let client = try await within { try await WebSocketTestClient.connect(url, protocols: []) }
            #expect(client.subprotocol == nil)
            let ready = try #require(try await within { await client.receive() })
            #expect(ready.channel == 2)
            // Before v4 only the failure's message is sent.
            let messages = try await within { await client.receiveAll() }
            #expect(messages[3]?.text == "command terminated with non-zero exit code: error executing command [x], exit code 4")
        }
    }

    @Test func unknownSubprotocolIs403() async throws {
        try await withServer { server in
            let url = try server.exec(ExecRequest(containerID: "c", cmd: ["x"]))
            let tcp = try await TestTCPConnection.connect(url: url)
            let response = try await within {
                try await tcp.request("GET", url, headers: [("Connection", "Upgrade"), ("Upgrade", "websocket"),
                                                           ("Sec-WebSocket-Version", "13"), ("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="),
                                                           ("Sec-WebSocket-Protocol", "v9.channel.k8s.io")])
            }
            #expect(response.status == 403)
            await tcp.close()
        }
    }

    @Test func portForwardTwoPorts() async throws {
        let backend = FakeBackend()
        try await withServer(backend) { server in
            let url = try server.portForward(PortForwardRequest(podSandboxID: "pod", ports: [80, 8443]))
            let client = try await within { try await WebSocketTestClient.connect(url, protocols: ["v4.channel.k8s.io"]) }
            #expect(client.subprotocol == "v4.channel.k8s.io")
            // Each channel first says which port it is, in two little-endian bytes.
            var prefixes: [UInt8: [UInt8]] = [:]
            for _ in 0..<4 {
                let message = try #require(try await within { await client.receive() })
                prefixes[message.channel] = message.payload
            }
            #expect(prefixes == [0: [80, 0], 1: [80, 0], 2: [0xfb, 0x20], 3: [0xfb, 0x20]])
            try await client.send(channel: 0, Array("to 80".utf8))
            try await client.send(channel: 2, Array("to 8443".utf8))
            var answers: [UInt8: String] = [:]
            for _ in 0..<2 {
                let message = try #require(try await within { await client.receive() })
                answers[message.channel] = message.payload.text
            }
            #expect(answers == [0: "80:to 80", 2: "8443:to 8443"])
            await client.close()
        }
    }

    @Test func portForwardPortsFromTheQueryAndErrors() async throws {
        let backend = FakeBackend(onPortForward: { port, _ in throw TestFailure("nothing listens on \(port)") })
        try await withServer(backend) { server in
            let url = try server.portForward(PortForwardRequest(podSandboxID: "pod")) + "?port=5000"
            let client = try await within { try await WebSocketTestClient.connect(url, protocols: []) }
            let messages = try await within { await client.receiveAll() }
            #expect(messages[0] == [0x88, 0x13])
            #expect(messages[1] == [0x88, 0x13] + Array("error forwarding port 5000 to pod pod, uid : nothing listens on 5000".utf8))

            // Without ports anywhere there is nothing to forward.
            let bare = try server.portForward(PortForwardRequest(podSandboxID: "pod"))
            let tcp = try await TestTCPConnection.connect(url: bare)
            let response = try await within {
                try await tcp.request("GET", bare, headers: [("Connection", "Upgrade"), ("Upgrade", "websocket"),
                                                            ("Sec-WebSocket-Version", "13"), ("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ==")])
            }
            #expect(response.status == 400)
            await tcp.close()
        }
    }

    @Test func oversizedMessagesCloseTheConnection() async throws {
        let backend = FakeBackend(onExec: { _, io in
            for await _ in io.stdin! {}
            return 0
        })
        try await withServer(backend, configure: { $0.maxWebSocketMessage = 64 << 10 }) { server in
            let url = try server.exec(ExecRequest(containerID: "c", cmd: ["cat"], stdin: true))
            let client = try await within { try await WebSocketTestClient.connect(url, protocols: ["v5.channel.k8s.io"]) }
            _ = try await within { await client.receive() }
            try await client.send(channel: 0, [UInt8](repeating: 7, count: 60 << 10))
            try await client.send(channel: 0, [UInt8](repeating: 7, count: (64 << 10) + 10))
            // The server ends the session: no status, just the close.
            let rest = try await within { await client.receiveAll() }
            #expect(rest[3] == nil)
            try await within { try await client.channel.closeFuture.get() }
        }
    }
}
