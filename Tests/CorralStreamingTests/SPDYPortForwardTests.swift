import CorralStreaming
import StreamingTestSupport
import Testing

/// Port-forward over SPDY, with streams opened the way client-go's port forwarder opens them.
@Suite struct SPDYPortForwardTests {
    @Test func twoPortsTwoConnectionsEachBothWays() async throws {
        let backend = FakeBackend()
        try await withServer(backend) { server in
            let url = try server.portForward(PortForwardRequest(podSandboxID: "pod1"))
            #expect(url.hasPrefix(server.baseURL + "/portforward/"))
            let (maybeClient, response) = try await SPDYTestClient.connect(url, protocols: ["portforward.k8s.io"])
            #expect(response.header("X-Stream-Protocol-Version") == "portforward.k8s.io")
            let client = try #require(maybeClient)

            let pairs = try await within {
                var pairs: [(port: Int, n: Int, data: ClientStream, error: ClientStream)] = []
                for (n, port) in [80, 8080, 80, 8080].enumerated() {
                    let (data, error) = try await openPortForwardPair(client, port: port, requestID: n)
                    pairs.append((port, n, data, error))
                }
                return pairs
            }
            // All four connections are open at once; each gets its own answers.
            for pair in pairs { try await pair.data.write("hello \(pair.n)") }
            for pair in pairs {
                let answer = try await within { await pair.data.read(count: "\(pair.port):hello \(pair.n)".utf8.count) }
                #expect(answer.text == "\(pair.port):hello \(pair.n)")
            }
            for pair in pairs { try await pair.data.write("again \(pair.n)") }
            for pair in pairs.reversed() {
                try await pair.data.close()
                let rest = try await within { await pair.data.readToEnd() }
                #expect(rest.bytes.text == "\(pair.port):again \(pair.n)\(pair.port):bye")
                #expect(rest.fin)
                let error = try await within { await pair.error.readToEnd() }
                #expect(error.bytes.isEmpty && error.fin)
            }
            var calls: [FakeBackend.Call] = []
            for _ in 0..<4 { calls.append(try #require(await backend.calls.next())) }
            #expect(calls.allSatisfy { $0.kind == "portforward" && $0.id == "pod1" })
            #expect(calls.map(\.port).sorted() == [80, 80, 8080, 8080])

            // A second session on the same URL kind works alongside (tokens are per session).
            let second = try #require(try await SPDYTestClient.connect(
                try server.portForward(PortForwardRequest(podSandboxID: "pod1")), protocols: ["portforward.k8s.io"]).0)
            let (data, _) = try await within { try await openPortForwardPair(second, port: 9000, requestID: 0) }
            try await data.write("x")
            try await data.close()
            #expect(try await within { await data.readToEnd() }.bytes.text == "9000:x9000:bye")
            await client.close()
            await second.close()
        }
    }

    @Test func backendErrorGoesToThatConnectionsErrorStream() async throws {
        let backend = FakeBackend(onPortForward: { port, connection in
            if port == 81 { throw TestFailure("connection refused") }
            try await FakeBackend.echo(port, connection)
        })
        try await withServer(backend) { server in
            let url = try server.portForward(PortForwardRequest(podSandboxID: "pod2"))
            let client = try #require(try await SPDYTestClient.connect(url, protocols: ["portforward.k8s.io"]).0)
            let (badData, badError) = try await within { try await openPortForwardPair(client, port: 81, requestID: 0) }
            let message = try await within { await badError.readText() }
            #expect(message == """
                {"closeConnection":true,"message":"error forwarding port 81 to pod pod2, uid : connection refused"}

                """)
            #expect(try await within { await badData.readToEnd() }.fin)
            // Other connections on the session are unaffected.
            let (data, _) = try await within { try await openPortForwardPair(client, port: 80, requestID: 1) }
            try await data.write("ok")
            try await data.close()
            #expect(try await within { await data.readToEnd() }.bytes.text == "80:ok80:bye")
        }
    }

    @Test func streamsWithoutAPortOrTypeAreRefused() async throws {
        try await withServer { server in
            let url = try server.portForward(PortForwardRequest(podSandboxID: "pod"))
            let client = try #require(try await SPDYTestClient.connect(url, protocols: ["portforward.k8s.io"]).0)
            for headers in [[("streamType", "data")], [("streamType", "data"), ("port", "0")],
                            [("streamType", "stdin"), ("port", "80")], [("port", "80")], [("streamType", "data"), ("port", "x")]] {
                await #expect(throws: StreamTestFailure.self) { try await within { try await client.openStream(headers) } }
            }
            // The connection is still good for proper streams.
            let (data, _) = try await within { try await openPortForwardPair(client, port: 80, requestID: 5) }
            try await data.close()
            #expect(try await within { await data.readToEnd() }.bytes.text == "80:bye")
        }
    }

    @Test func pairsWithoutRequestIDFollowStreamIDs() async throws {
        try await withServer { server in
            let url = try server.portForward(PortForwardRequest(podSandboxID: "pod"))
            let client = try #require(try await SPDYTestClient.connect(url, protocols: ["portforward.k8s.io"]).0)
            let error = try await within { try await client.openStream([("streamType", "error"), ("port", "80")]) }
            let data = try await within { try await client.openStream([("streamType", "data"), ("port", "80")]) }
            try await data.write("old")
            try await data.close()
            #expect(try await within { await data.readToEnd() }.bytes.text == "80:old80:bye")
            #expect(try await within { await error.readToEnd() }.fin)
        }
    }

    @Test func anIncompletePairTimesOut() async throws {
        try await withServer(configure: { $0.streamCreationTimeout = .milliseconds(200) }) { server in
            let url = try server.portForward(PortForwardRequest(podSandboxID: "pod"))
            let client = try #require(try await SPDYTestClient.connect(url, protocols: ["portforward.k8s.io"]).0)
            let error = try await within { try await client.openStream([("streamType", "error"), ("port", "80"), ("requestID", "1")]) }
            let result = try await within { await error.readToEnd() }
            #expect(result.bytes.text == "timed out waiting for streams of request 1")
            #expect(result.fin)
        }
    }

    @Test func closingTheConnectionCancelsForwarding() async throws {
        let cancelled = TestQueue<Bool>()
        let backend = FakeBackend(onPortForward: { _, _ in
            // Ignores its input and waits; only cancellation ends it.
            do {
                try await Task.sleep(for: .seconds(60))
            } catch {
                cancelled.push(true)
            }
        })
        try await withServer(backend) { server in
            let url = try server.portForward(PortForwardRequest(podSandboxID: "pod"))
            let client = try #require(try await SPDYTestClient.connect(url, protocols: ["portforward.k8s.io"]).0)
            _ = try await within { try await openPortForwardPair(client, port: 80, requestID: 0) }
            _ = try await within { await backend.calls.next() }
            await client.close()
            #expect(try await within { await cancelled.next() } == true)
        }
    }
}
