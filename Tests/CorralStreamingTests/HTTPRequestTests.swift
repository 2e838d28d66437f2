import CorralStreaming
import StreamingTestSupport
import Testing

/// What the server answers before any upgrade: tokens, routes, methods, handshakes.
@Suite struct HTTPRequestTests {
    static let spdyHeaders = [("Connection", "Upgrade"), ("Upgrade", "SPDY/3.1"), ("X-Stream-Protocol-Version", "v4.channel.k8s.io")]

    static func status(_ method: String, _ url: String, _ headers: [(String, String)] = spdyHeaders) async throws -> TestHTTPResponse {
        let tcp = try await TestTCPConnection.connect(url: url)
        defer { Task { await tcp.close() } }
        return try await within { try await tcp.request(method, url, headers: headers) }
    }

    @Test func tokensAreSingleUse() async throws {
        try await withServer { server in
            let url = try server.exec(ExecRequest(containerID: "c", cmd: ["true"]))
            let (first, _) = try await SPDYTestClient.connect(url)
            #expect(first != nil)
            let (second, response) = try await SPDYTestClient.connect(url)
            #expect(second == nil)
            #expect(response.status == 404)
            await first?.close()
        }
    }

    @Test func tokensExpireUnused() async throws {
        // A TTL long enough that the last connect lands inside it on a loaded machine.
        try await withServer(configure: { $0.tokenTTL = .seconds(2) }) { server in
            let stale = try server.exec(ExecRequest(containerID: "c", cmd: ["true"]))
            let fresh = try server.portForward(PortForwardRequest(podSandboxID: "p"))
            try await Task.sleep(for: .milliseconds(2500))
            #expect(try await Self.status("POST", stale).status == 404)
            #expect(try await Self.status("POST", fresh).status == 404)
            let late = try server.exec(ExecRequest(containerID: "c", cmd: ["true"]))
            let (client, _) = try await SPDYTestClient.connect(late)
            #expect(client != nil)
            await client?.close()
        }
    }

    @Test func tokensAreLongRandomAndURLSafe() async throws {
        try await withServer { server in
            var tokens: Set<String> = []
            for _ in 0..<50 {
                let url = try server.attach(AttachRequest(containerID: "c"))
                let token = String(url.split(separator: "/").last!)
                #expect(token.count >= 16)
                #expect(token.allSatisfy { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" })
                tokens.insert(token)
            }
            #expect(tokens.count == 50)
        }
    }

    @Test func aTokenOnlyWorksOnItsOwnPath() async throws {
        try await withServer { server in
            let url = try server.exec(ExecRequest(containerID: "c", cmd: ["true"]))
            let attachURL = url.replacingOccurrences(of: "/exec/", with: "/attach/")
            #expect(try await Self.status("POST", attachURL).status == 404)
            // It was used up by the wrong path, as kubelet's cache does.
            #expect(try await Self.status("POST", url).status == 404)
        }
    }

    @Test func unknownPathsAndTokensAre404() async throws {
        try await withServer { server in
            for path in ["/", "/exec", "/exec/", "/exec/nope", "/logs/abc", "/exec/a/b", "/portforward/zzzzzzzzzzzzzzzzzzzzzz"] {
                let status = try await Self.status("GET", server.baseURL + path).status
                #expect(status == 404, "\(path)")
            }
        }
    }

    @Test func otherMethodsAre405() async throws {
        try await withServer { server in
            let url = try server.exec(ExecRequest(containerID: "c", cmd: ["true"]))
            for method in ["PUT", "DELETE", "PATCH"] {
                let response = try await Self.status(method, url)
                #expect(response.status == 405)
                #expect(response.header("Allow") == "GET, POST")
            }
            // The refused methods did not use the token up.
            let (client, _) = try await SPDYTestClient.connect(url, method: "GET")
            #expect(client != nil)
            await client?.close()
        }
    }

    @Test func badUpgradesAre400() async throws {
        try await withServer { server in
            // No protocol version at all.
            let noVersion = try await Self.status("POST", try server.exec(ExecRequest(containerID: "c", cmd: ["true"])),
                                                  [("Connection", "Upgrade"), ("Upgrade", "SPDY/3.1")])
            #expect(noVersion.status == 400)
            // A version but no upgrade.
            let noUpgrade = try await Self.status("POST", try server.exec(ExecRequest(containerID: "c", cmd: ["true"])),
                                                  [("X-Stream-Protocol-Version", "v4.channel.k8s.io")])
            #expect(noUpgrade.status == 400)
            // Upgrading to something that is not SPDY/3.1.
            let wrongUpgrade = try await Self.status("POST", try server.exec(ExecRequest(containerID: "c", cmd: ["true"])),
                                                     [("Connection", "Upgrade"), ("Upgrade", "h2c"),
                                                      ("X-Stream-Protocol-Version", "v4.channel.k8s.io")])
            #expect(wrongUpgrade.status == 400)
            // A WebSocket upgrade without a key.
            let badSocket = try await Self.status("GET", try server.exec(ExecRequest(containerID: "c", cmd: ["true"])),
                                                  [("Connection", "Upgrade"), ("Upgrade", "websocket"),
                                                   ("Sec-WebSocket-Protocol", "v4.channel.k8s.io")])
            #expect(badSocket.status == 400)
        }
    }

    @Test func unknownProtocolVersionsAre403WithTheAcceptedOnes() async throws {
        try await withServer { server in
            let response = try await Self.status("POST", try server.exec(ExecRequest(containerID: "c", cmd: ["true"])),
                                                 [("Connection", "Upgrade"), ("Upgrade", "SPDY/3.1"),
                                                  ("X-Stream-Protocol-Version", "v9.channel.k8s.io")])
            #expect(response.status == 403)
            #expect(response.headers("X-Accepted-Stream-Protocol-Versions")
                == ["v4.channel.k8s.io", "v3.channel.k8s.io", "v2.channel.k8s.io", "channel.k8s.io"])
            let portForward = try await Self.status("POST", try server.portForward(PortForwardRequest(podSandboxID: "p")))
            #expect(portForward.status == 403)
            #expect(portForward.headers("X-Accepted-Stream-Protocol-Versions") == ["portforward.k8s.io"])
        }
    }

    @Test func theClientsPreferenceWins() async throws {
        try await withServer { server in
            let url = try server.exec(ExecRequest(containerID: "c", cmd: ["true"]))
            let (client, response) = try await SPDYTestClient.connect(url, protocols: ["v9.channel.k8s.io", "v3.channel.k8s.io",
                                                                                         "v4.channel.k8s.io"])
            #expect(response.header("X-Stream-Protocol-Version") == "v3.channel.k8s.io")
            await client?.close()
        }
    }

    @Test func requestsAreValidatedLikeKubelet() async throws {
        try await withServer(configure: { $0.maxInFlight = 3 }) { server in
            #expect(throws: StreamingRequestError.ttyWithStderr) {
                try server.exec(ExecRequest(containerID: "c", cmd: ["sh"], tty: true, stdout: true, stderr: true))
            }
            #expect(throws: StreamingRequestError.noStreams) {
                try server.attach(AttachRequest(containerID: "c", stdout: false, stderr: false))
            }
            #expect(throws: StreamingRequestError.missingContainerID) { try server.exec(ExecRequest(containerID: "", cmd: ["x"])) }
            #expect(throws: StreamingRequestError.missingPodSandboxID) { try server.portForward(PortForwardRequest(podSandboxID: "")) }
            #expect(StreamingRequestError.ttyWithStderr.description == "tty and stderr cannot both be true")
            for _ in 0..<3 { _ = try server.portForward(PortForwardRequest(podSandboxID: "p")) }
            #expect(throws: StreamingRequestError.tooManyInFlight) { try server.portForward(PortForwardRequest(podSandboxID: "p")) }
        }
    }

    @Test func oversizedSPDYFramesCloseTheConnection() async throws {
        let backend = FakeBackend(onExec: { _, io in
            for await _ in io.stdin! {}
            return 0
        })
        try await withServer(backend, configure: { $0.maxSPDYFrame = 64 << 10 }) { server in
            let url = try server.exec(ExecRequest(containerID: "c", cmd: ["cat"], stdin: true, stderr: false))
            let client = try #require(try await SPDYTestClient.connect(url).0)
            let streams = try await within { try await openExecStreams(client, stdin: true, stderr: false) }
            try await streams["stdin"]!.write([UInt8](repeating: 1, count: 64 << 10))
            // Only the header of the next frame is needed for the server to refuse it.
            try await client.sendFrame(SPDYTestClient.be32(streams["stdin"]!.id) + [0] + SPDYTestClient.be24((64 << 10) + 1))
            #expect(try await within { await client.waitClosed() })
        }
    }

    @Test func garbageAfterTheUpgradeClosesTheConnection() async throws {
        try await withServer { server in
            let url = try server.exec(ExecRequest(containerID: "c", cmd: ["true"]))
            let client = try #require(try await SPDYTestClient.connect(url).0)
            // A control frame claiming SPDY version 2.
            try await client.sendFrame([0x80, 0x02, 0x00, 0x06, 0x00, 0x00, 0x00, 0x04, 0, 0, 0, 1])
            #expect(try await within { await client.waitClosed() })
        }
    }

    @Test func slowClientsAreCutOffAfterTheCreationTimeout() async throws {
        let backend = FakeBackend()
        try await withServer(backend, configure: { $0.streamCreationTimeout = .milliseconds(200) }) { server in
            let url = try server.exec(ExecRequest(containerID: "c", cmd: ["true"]))
            let client = try #require(try await SPDYTestClient.connect(url).0)
            _ = try await within { try await client.openStream([("streamType", "error")]) }
            #expect(try await within { await client.waitClosed() })
        }
    }

    @Test func shutdownEndsRunningSessions() async throws {
        let cancelled = TestQueue<Bool>()
        let backend = FakeBackend(onExec: { _, _ in
            do { try await Task.sleep(for: .seconds(60)) } catch { cancelled.push(true) }
            return 0
        })
        let server = try await StreamingServer.start(backend: backend)
        let url = try server.exec(ExecRequest(containerID: "c", cmd: ["sleep"]))
        let client = try #require(try await SPDYTestClient.connect(url).0)
        _ = try await within { try await openExecStreams(client) }
        _ = try await within { await backend.calls.next() }
        #expect(server.activeSessions == 1)
        try await within { await server.shutdown() }
        #expect(try await within { await cancelled.next() } == true)
        #expect(server.activeSessions == 0)
        #expect(try await within { await client.waitClosed() })
    }
}

extension String {
    func replacingOccurrences(of target: String, with replacement: String) -> String {
        split(separator: target, omittingEmptySubsequences: false).joined(separator: replacement)
    }
}

@Suite struct HTTPTimeoutTests {
    @Test func silentClientsAreHungUpOn() async throws {
        try await withServer(configure: { $0.requestTimeout = .milliseconds(200) }) { server in
            let tcp = try await TestTCPConnection.connect(url: server.baseURL)
            // Half a request, then nothing.
            try await tcp.send("POST /exec/abc HTTP/1.1\r\nHost: x\r\n")
            let rest = try await within { await tcp.receiveAll() }
            #expect(rest.isEmpty)
        }
    }
}
