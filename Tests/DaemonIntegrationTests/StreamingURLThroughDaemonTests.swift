import StreamingTestSupport
import Testing

/// The URLs corrald's Exec, Attach and PortForward answer with: each token serves one session.
@Suite("Streaming URLs of corrald", .serialized, .enabled(if: DaemonFixture.available))
struct StreamingURLThroughDaemonTests {
    @Test("a used token and an unknown one are 404, over SPDY and WebSocket alike")
    func tokensServeOnce() async throws {
        try await DaemonFixture.withStreamingPod(["sleep", "3600"]) { daemon, pod, container in
            let url = try await daemon.execURL(container, ["true"])
            let client = try #require(try await SPDYTestClient.connect(url).0)
            let streams = try await within { try await openExecStreams(client) }
            #expect(try await within { await streams["error"]!.readText() } == #"{"metadata":{},"status":"Success"}"#)
            await client.close()

            let (reused, reusedResponse) = try await SPDYTestClient.connect(url)
            #expect(reused == nil && reusedResponse.status == 404)
            #expect(try await Self.webSocketStatus(url) == 404)

            let base = url[..<url.lastIndex(of: "/")!]
            for unknown in [base + "/AAAAAAAAAAAAAAAAAAAAAA", base + "/"] {
                #expect(try await SPDYTestClient.connect(String(unknown)).1.status == 404)
            }

            // A WebSocket session uses its token up as well, and a port-forward's is no different.
            let socketURL = try await daemon.execURL(container, ["true"])
            let socket = try await within { try await WebSocketTestClient.connect(socketURL, protocols: ["v5.channel.k8s.io"]) }
            #expect(try await within { await socket.receiveAll() }[3]?.text == #"{"metadata":{},"status":"Success"}"#)
            #expect(try await SPDYTestClient.connect(socketURL).1.status == 404)
            let forward = try await daemon.portForwardURL(pod, ports: [7999])
            let forwarding = try #require(try await SPDYTestClient.connect(forward, protocols: ["portforward.k8s.io"]).0)
            #expect(try await SPDYTestClient.connect(forward, protocols: ["portforward.k8s.io"]).1.status == 404)
            await forwarding.close()
        }
    }

    /// The status of a WebSocket upgrade request, sent by hand so that a refusal can be read.
    static func webSocketStatus(_ url: String) async throws -> Int {
        let tcp = try await TestTCPConnection.connect(url: url)
        let response = try? await within {
            try await tcp.request("GET", url, headers: [("Connection", "Upgrade"), ("Upgrade", "websocket"),
                                                       ("Sec-WebSocket-Version", "13"),
                                                       ("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="),
                                                       ("Sec-WebSocket-Protocol", "v5.channel.k8s.io")])
        }
        await tcp.close()
        guard let response else { throw TestFailure("no answer to the WebSocket upgrade of \(url)") }
        return response.status
    }
}
