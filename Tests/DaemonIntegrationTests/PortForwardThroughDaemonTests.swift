import StreamingTestSupport
import Testing

/// Port-forward through a real corrald to servers inside a pod: an echo server (busybox nc
/// running cat for each connection) and busybox httpd, reached on the pod's localhost.
@Suite("Port-forward through corrald", .serialized, .enabled(if: DaemonFixture.available))
struct PortForwardThroughDaemonTests {
    static let echoPort = 7001
    static let webPort = 8080
    static let servers = ["sh", "-c", """
        mkdir -p /tmp/www && echo hello-from-httpd > /tmp/www/index.html && httpd -p \(webPort) -h /tmp/www \
        && exec nc -ll -p \(echoPort) -e cat
        """]

    /// A pattern long enough to need several frames and pipe-fulls each way.
    static let payload = (0..<(256 << 10)).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ $0 >> 11) }

    @Test("over SPDY, two ports at once: the echo server both ways, httpd's page, a later connection")
    func spdyTwoPorts() async throws {
        try await DaemonFixture.withStreamingPod(Self.servers) { daemon, pod, container in
            try await daemon.waitListening(container, ports: [Self.echoPort, Self.webPort])
            let url = try await daemon.portForwardURL(pod, ports: [Int32(Self.echoPort), Int32(Self.webPort)])
            let client = try #require(try await SPDYTestClient.connect(url, protocols: ["portforward.k8s.io"]).0)
            let (echo, echoError) = try await within { try await openPortForwardPair(client, port: Self.echoPort, requestID: 0) }
            let (web, webError) = try await within { try await openPortForwardPair(client, port: Self.webPort, requestID: 1) }
            let echoed = Transcript.reading(echo)

            try await web.write("GET /index.html HTTP/1.0\r\n\r\n")
            for offset in stride(from: 0, to: Self.payload.count, by: 32 << 10) {
                try await echo.write(Array(Self.payload[offset..<min(offset + (32 << 10), Self.payload.count)]))
            }
            let page = try await within { await web.readToEnd() }
            #expect(page.bytes.text.hasPrefix("HTTP/1.") && page.bytes.text.contains(" 200 "), "\(page.bytes.text)")
            #expect(page.bytes.text.hasSuffix("hello-from-httpd\n") && page.fin)
            #expect(await eventually(.seconds(30)) { echoed.bytes().count >= Self.payload.count })
            #expect(difference(echoed.bytes(), Self.payload) == nil)

            // Our half-close reaches nc's cat as end of file; it exits and the pod's side closes.
            // Each forwarded connection ends when both sides are done, and then its error stream.
            try await echo.close()
            try await web.close()
            #expect(await echoed.waitEnded())
            for error in [echoError, webError] {
                let report = try await within { await error.readToEnd() }
                #expect(report.bytes.isEmpty && report.fin, "\(report.bytes.text)")
            }

            // The session takes new connections to the same port until the client hangs up.
            let (again, _) = try await within { try await openPortForwardPair(client, port: Self.echoPort, requestID: 2) }
            try await again.write("once more")
            #expect(try await within { await again.read(count: 9) }.text == "once more")
            await client.close()
        }
    }

    @Test("a connection the pod's server closes ends for the client too, though the client kept its side open")
    func podClosesFirst() async throws {
        try await DaemonFixture.withStreamingPod(Self.servers) { daemon, pod, container in
            try await daemon.waitListening(container, ports: [Self.webPort])
            let url = try await daemon.portForwardURL(pod, ports: [Int32(Self.webPort)])
            let client = try #require(try await SPDYTestClient.connect(url, protocols: ["portforward.k8s.io"]).0)
            // client-go's port forwarder closes its local connection, and so its data stream,
            // only once the error stream ended: a local client that reads to end of file (here a
            // page without a length) would wait forever on a server that waited for both sides.
            let (web, webError) = try await within { try await openPortForwardPair(client, port: Self.webPort, requestID: 0) }
            try await web.write("GET /missing HTTP/1.0\r\n\r\n")
            let page = try await within { await web.readToEnd() }
            #expect(page.bytes.text.contains(" 404 ") && page.fin, "\(page.bytes.text)")
            let report = try await within { await webError.readToEnd() }
            #expect(report.bytes.isEmpty && report.fin)
            await client.close()
        }
    }

    @Test("over WebSocket, two ports on channels 0 to 3, each first naming its port")
    func webSocketTwoPorts() async throws {
        try await DaemonFixture.withStreamingPod(Self.servers) { daemon, pod, container in
            try await daemon.waitListening(container, ports: [Self.echoPort, Self.webPort])
            let url = try await daemon.portForwardURL(pod, ports: [Int32(Self.echoPort), Int32(Self.webPort)])
            let client = try await within { try await WebSocketTestClient.connect(url, protocols: ["v4.channel.k8s.io"]) }
            #expect(client.subprotocol == "v4.channel.k8s.io")
            let transcript = Transcript.reading(client)
            let echoPrefix = Self.littleEndian(Self.echoPort)
            let webPrefix = Self.littleEndian(Self.webPort)

            try await client.send(channel: 2, Array("GET / HTTP/1.0\r\n\r\n".utf8))
            let chunk = 32 << 10
            for offset in stride(from: 0, to: Self.payload.count, by: chunk) {
                try await client.send(channel: 0, Array(Self.payload[offset..<min(offset + chunk, Self.payload.count)]))
            }
            #expect(await eventually(.seconds(30)) { transcript.bytes(0).count >= 2 + Self.payload.count })
            #expect(difference(transcript.bytes(0), echoPrefix + Self.payload) == nil)
            #expect(await transcript.waitFor("hello-from-httpd", channel: 2))
            #expect(Array(transcript.bytes(2).prefix(2)) == webPrefix)
            #expect(transcript.bytes(1) == echoPrefix && transcript.bytes(3) == webPrefix)
            await client.close()
        }
    }

    @Test("nothing listening on the port: its error stream says so, over SPDY and over WebSocket")
    func nothingListening() async throws {
        try await DaemonFixture.withStreamingPod(["sleep", "3600"]) { daemon, pod, _ in
            let url = try await daemon.portForwardURL(pod, ports: [7999])
            let client = try #require(try await SPDYTestClient.connect(url, protocols: ["portforward.k8s.io"]).0)
            let (data, error) = try await within { try await openPortForwardPair(client, port: 7999, requestID: 0) }
            let report = try await within { await error.readText() }
            #expect(report.contains("error forwarding port 7999 to pod \(pod)"), "\(report)")
            #expect(try await within { await data.readToEnd() }.fin)
            await client.close()

            let socketURL = try await daemon.portForwardURL(pod, ports: [7999])
            let socket = try await within { try await WebSocketTestClient.connect(socketURL, protocols: ["v4.channel.k8s.io"]) }
            let transcript = Transcript.reading(socket)
            #expect(await transcript.waitFor("error forwarding port 7999", channel: 1))
            #expect(Array(transcript.bytes(1).prefix(2)) == Self.littleEndian(7999))
            await socket.close()
        }
    }

    static func littleEndian(_ port: Int) -> [UInt8] {
        [UInt8(port & 0xff), UInt8(port >> 8)]
    }
}
