@testable import CorralStreaming
import StreamingTestSupport
import Testing

/// The parts with no I/O: dictionary, header blocks, compression, resize parsing, statuses.
@Suite struct ProtocolPieceTests {
    @Test func dictionaryIsSPDY3s() {
        // SPDY/3 section 2.6.10.1: 1423 bytes; its Adler-32 is the dictionary id in every zlib
        // header a SPDY/3 peer sends.
        #expect(SPDYDictionary.bytes.count == 1423)
        #expect(adler32Checksum(SPDYDictionary.bytes) == 0xe3c6_a7c2)
        #expect(Array(SPDYDictionary.bytes.prefix(11)) == [0, 0, 0, 7] + Array("options".utf8))
        #expect(SPDYDictionary.bytes.suffix(6).text == "enq=0.")
    }

    @Test func headerBlocksRoundTripThroughBothCompressors() throws {
        // Server deflates, test client inflates, and the other way round, over several blocks
        // so that the shared per-direction context is exercised.
        let serverOut = try HeaderDeflater()
        let clientIn = TestInflate(dictionary: SPDYDictionary.bytes)
        let clientOut = TestDeflate(dictionary: SPDYDictionary.bytes)
        let serverIn = try HeaderInflater(maxOutput: 1 << 16)
        for i in 0..<5 {
            let headers = SPDYHeaders([("streamType", "data"), ("port", "\(8000 + i)"), ("requestID", "\(i)")])
            let decoded = try SPDYHeaders.decode(try clientIn.decompress(try serverOut.compress(headers.encoded())))
            #expect(decoded == headers)
            #expect(decoded["StreamType"] == "data")
            let block = SPDYTestClient.headerBlock([("streamType", "error"), ("port", "\(i)")])
            let back = try SPDYHeaders.decode(try serverIn.decompress(clientOut.compress(block)))
            #expect(back["streamtype"] == "error" && back["port"] == "\(i)")
        }
    }

    @Test func headerBlocksWithSeveralValues() throws {
        var headers = SPDYHeaders()
        headers.add(name: "X-Many", value: "a")
        headers.add(name: "x-many", value: "b")
        let decoded = try SPDYHeaders.decode(headers.encoded())
        #expect(decoded.entries == [SPDYHeaders.Entry(name: "x-many", values: ["a", "b"])])
    }

    @Test func malformedHeaderBlocksAreRejected() {
        #expect(throws: SPDYProtocolError.self) { try SPDYHeaders.decode([0, 0, 0, 1, 0, 0, 0, 9, 65]) }
        #expect(throws: SPDYProtocolError.self) { try SPDYHeaders.decode([0xff, 0xff, 0xff, 0xff]) }
        #expect(throws: SPDYProtocolError.self) { try SPDYHeaders.decode([0, 0, 0, 0, 1]) }
    }

    @Test func decompressionBombsStop() throws {
        let deflater = try HeaderDeflater()
        let big = try deflater.compress([UInt8](repeating: 0x61, count: 1 << 20))
        let inflater = try HeaderInflater(maxOutput: 64 << 10)
        #expect(throws: HeaderCompressionError.self) { try inflater.decompress(big) }
    }

    @Test func resizeDecoderHandlesSplitsAndRuns() {
        var decoder = ResizeDecoder()
        #expect(decoder.feed(Array(#"{"Width":80,"#.utf8)).isEmpty)
        #expect(decoder.feed(Array(#""Height":24}"#.utf8)) == [TerminalSize(width: 80, height: 24)])
        #expect(decoder.feed(Array("\n{\"width\":1,\"height\":2} {\"Height\":3,\"Width\":4}\n".utf8))
            == [TerminalSize(width: 1, height: 2), TerminalSize(width: 4, height: 3)])
        // Garbage ends the stream of sizes, as json.Decoder's first error does.
        #expect(decoder.feed(Array("nope".utf8)).isEmpty)
        #expect(decoder.feed(Array(#"{"Width":5,"Height":5}"#.utf8)).isEmpty)
    }

    @Test func base64BothAlphabets() {
        #expect(Base64.encode(Array("foo\n".utf8)) == "Zm9vCg==")
        #expect(Base64.encode([0xfb, 0xff], urlSafe: true) == "-_8")
        #expect(Base64.decode(Array("Zm9vCg==".utf8)) == Array("foo\n".utf8))
        #expect(Base64.decode(Array("Zm9vCg".utf8)) == Array("foo\n".utf8))
        #expect(Base64.decode(Array("Zm9v*".utf8)) == nil)
        for n in 0..<10 {
            let bytes = (0..<n).map { UInt8($0 * 37 & 0xff) }
            #expect(Base64.decode(Array(Base64.encode(bytes).utf8)) == bytes)
        }
    }

    @Test func statusesAsKubeletWritesThem() {
        #expect(ExecStatus.success.errorStreamPayload(for: .v4)?.text == #"{"metadata":{},"status":"Success"}"#)
        #expect(ExecStatus.success.errorStreamPayload(for: .v3) == nil)
        let failure = ExecStatus.failure("a \"quoted\"\nline & <tag>")
        #expect(failure.statusJSON.contains(#""message":"Internal error occurred: a \"quoted\"\nline \u0026 \u003ctag\u003e""#))
        #expect(failure.errorStreamPayload(for: .v2)?.text == "Internal error occurred: a \"quoted\"\nline & <tag>")
    }

    @Test func routesAndQueries() {
        #expect(StreamingRoute(path: "/exec/abc") == StreamingRoute(kindAndToken: .exec, "abc"))
        #expect(StreamingRoute(path: "/portforward/x") == StreamingRoute(kindAndToken: .portforward, "x"))
        #expect(StreamingRoute(path: "/exec/") == nil)
        #expect(StreamingRoute(path: "exec/abc") == nil)
        #expect(StreamingRoute.split(uri: "/a?port=1") == ("/a", "port=1"))
        #expect(StreamingRoute.ports(query: "port=80,443&port=8080&x=1") == [80, 443, 8080])
        #expect(StreamingRoute.ports(query: "port=0") == nil)
        #expect(StreamingRoute.ports(query: "") == [])
    }

    @Test func subprotocolNegotiationFollowsTheClient() {
        let pick = { (offered: [String]) in
            WebSocketSubprotocol.negotiate(offered: offered, supported: WebSocketSubprotocol.remoteCommand, fallback: .v1)
        }
        #expect(pick(["v4.channel.k8s.io, v5.channel.k8s.io"])?.version == .v4)
        #expect(pick(["nope", "base64.channel.k8s.io"])?.encoding == .base64)
        #expect(pick([]) == WebSocketSubprotocol(name: nil, version: .v1, encoding: .binary))
        #expect(pick(["nope"]) == nil)
    }

    @Test func inboundBytesPausesAndResumes() async {
        let resumed = TestQueue<Bool>()
        let inbound = InboundBytes(highWater: 10) { resumed.push(true) }
        #expect(inbound.yield([UInt8](repeating: 1, count: 6)) == false)
        #expect(inbound.yield([UInt8](repeating: 2, count: 6)) == true)  // crossed: pause
        #expect(inbound.yield([3]) == false)  // already paused
        var it = inbound.makeAsyncIterator()
        // A reader that fell behind gets what waits in one piece, and the connection reads again.
        #expect(await it.next() == [UInt8](repeating: 1, count: 6) + [UInt8](repeating: 2, count: 6) + [3])
        #expect(await resumed.next() == true)
        inbound.finish()
        #expect(await it.next() == nil)
    }

    @Test func inboundBytesJoinUpTo256KiB() async {
        let resumed = TestQueue<Bool>()
        let inbound = InboundBytes(highWater: 150 << 10) { resumed.push(true) }
        let chunks = (1...3).map { [UInt8](repeating: UInt8($0), count: 100 << 10) }
        #expect(inbound.yield(chunks[0]) == false)
        #expect(inbound.yield(chunks[1]) == true)
        #expect(inbound.yield(chunks[2]) == false)
        var it = inbound.makeAsyncIterator()
        let joined = await it.next() ?? []
        #expect(joined.count == 200 << 10 && joined.first == 1 && joined.last == 2)
        // 100 KiB still wait, above half the mark: the connection stays paused until they are read.
        let last = await it.next() ?? []
        #expect(last.count == 100 << 10 && last.first == 3)
        #expect(await resumed.next() == true)
        inbound.finish()
        #expect(await it.next() == nil)
    }

    @Test func inboundBytesReadersCanBeCancelled() async {
        let inbound = InboundBytes()
        let reader = Task { await inbound.collect() }
        try? await Task.sleep(for: .milliseconds(20))
        reader.cancel()
        #expect(await reader.value == [])
    }

    @Test func requestCacheExpiresAndUsesUp() async throws {
        let cache = RequestCache(ttl: .milliseconds(100), maxInFlight: 2)
        let a = try cache.insert(.portForward(PortForwardRequest(podSandboxID: "a")))
        let b = try cache.insert(.portForward(PortForwardRequest(podSandboxID: "b")))
        #expect(throws: StreamingRequestError.tooManyInFlight) { try cache.insert(.portForward(PortForwardRequest(podSandboxID: "c"))) }
        #expect(cache.consume(a) == .portForward(PortForwardRequest(podSandboxID: "a")))
        #expect(cache.consume(a) == nil)
        try await Task.sleep(for: .milliseconds(200))
        #expect(cache.consume(b) == nil)
        // Expired entries no longer count against the limit.
        _ = try cache.insert(.portForward(PortForwardRequest(podSandboxID: "d")))
        _ = try cache.insert(.portForward(PortForwardRequest(podSandboxID: "e")))
    }
}

extension StreamingRoute {
    init(kindAndToken kind: Kind, _ token: String) {
        self.init(path: "/\(kind.rawValue)/\(token)")!
    }
}
