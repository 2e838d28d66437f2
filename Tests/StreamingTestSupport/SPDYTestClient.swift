import CorralStreaming
import Synchronization

/// A SPDY/3.1 client as kubectl's spdystream behaves: it upgrades an HTTP request, opens
/// streams with SYN_STREAM and waits for their SYN_REPLY. Framing and header compression are
/// written here from the spec, apart from the server's.
public final class SPDYTestClient: Sendable {
    public enum StreamEvent: Sendable, Equatable {
        case replied
        case data([UInt8])
        case fin
        case reset(UInt32)
    }

    public enum ConnectionEvent: Sendable, Equatable {
        case ping(UInt32)
        case goAway(lastGood: UInt32, status: UInt32)
        case windowUpdate(stream: UInt32, delta: UInt32)
        case settings
    }

    public let tcp: TestTCPConnection
    public let response: TestHTTPResponse
    /// PING, GOAWAY, WINDOW_UPDATE and SETTINGS frames from the server, in order.
    public let connectionEvents = TestQueue<ConnectionEvent>()
    private let streams = Mutex<[UInt32: TestQueue<StreamEvent>]>([:])
    private let writer: Mutex<(deflate: TestDeflate, nextStreamID: UInt32)>
    private let closedQueue = TestQueue<Bool>()

    private init(tcp: TestTCPConnection, response: TestHTTPResponse) {
        self.tcp = tcp
        self.response = response
        writer = Mutex((TestDeflate(dictionary: SPDYDictionary.bytes), 1))
    }

    /// Sends the upgrade request; returns the client when the server switched protocols,
    /// and the response either way.
    public static func connect(_ url: String, protocols: [String] = ["v4.channel.k8s.io"], method: String = "POST",
                        extraHeaders: [(String, String)] = []) async throws -> (SPDYTestClient?, TestHTTPResponse) {
        let tcp = try await TestTCPConnection.connect(url: url)
        var headers = [("Connection", "Upgrade"), ("Upgrade", "SPDY/3.1")]
        if !protocols.isEmpty { headers.append(("X-Stream-Protocol-Version", protocols.joined(separator: ","))) }
        let response = try await tcp.request(method, url, headers: headers + extraHeaders)
        guard response.status == 101 else {
            await tcp.close()
            return (nil, response)
        }
        let client = SPDYTestClient(tcp: tcp, response: response)
        client.startReading()
        return (client, response)
    }

    private func startReading() {
        Task { [self] in
            let inflate = TestInflate(dictionary: SPDYDictionary.bytes)
            while let header = await tcp.receive(exactly: 8) {
                let length = Int(header[5]) << 16 | Int(header[6]) << 8 | Int(header[7])
                let flags = header[4]
                guard let payload = await tcp.receive(exactly: length) else { break }
                if header[0] & 0x80 == 0 {
                    let id = Self.be32(header, 0) & 0x7fff_ffff
                    let queue = streams.withLock { $0[id] }
                    if !payload.isEmpty { queue?.push(.data(payload)) }
                    if flags & 1 != 0 { queue?.push(.fin) }
                    continue
                }
                let type = UInt16(header[2]) << 8 | UInt16(header[3])
                switch type {
                case 2, 8:  // SYN_REPLY, HEADERS: inflate anyway to keep the shared zlib state in step
                    _ = try? inflate.decompress(Array(payload[4...]))
                    if type == 2 { streams.withLock { $0[Self.be32(payload, 0)] }?.push(.replied) }
                case 3:
                    let queue = streams.withLock { $0.removeValue(forKey: Self.be32(payload, 0)) }
                    queue?.push(.reset(Self.be32(payload, 4)))
                    queue?.finish()
                case 4:
                    connectionEvents.push(.settings)
                case 6:
                    connectionEvents.push(.ping(Self.be32(payload, 0)))
                case 7:
                    connectionEvents.push(.goAway(lastGood: Self.be32(payload, 0), status: Self.be32(payload, 4)))
                case 9:
                    connectionEvents.push(.windowUpdate(stream: Self.be32(payload, 0), delta: Self.be32(payload, 4)))
                default:
                    break
                }
            }
            for queue in streams.withLock({ Array($0.values) }) { queue.finish() }
            connectionEvents.finish()
            closedQueue.push(true)
        }
    }

    /// Opens a stream and waits for the server's answer; throws when it resets the stream.
    public func openStream(_ headers: [(String, String)], fin: Bool = false) async throws -> ClientStream {
        let queue = TestQueue<StreamEvent>()
        let (id, future) = writer.withLock { w in
            let id = w.nextStreamID
            w.nextStreamID += 2
            streams.withLock { $0[id] = queue }
            let block = w.deflate.compress(Self.headerBlock(headers))
            var frame = Self.controlHeader(type: 1, flags: fin ? 1 : 0, length: 10 + block.count)
            frame += Self.be32(id) + Self.be32(0) + [0, 0] + block
            return (id, tcp.channel.writeAndFlush(tcp.channel.allocator.buffer(bytes: frame)))
        }
        try await future.get()
        switch await queue.next() {
        case .replied?: return ClientStream(id: id, client: self, events: queue)
        case .reset(let status)?: throw StreamTestFailure("stream \(id) reset with status \(status)")
        default: throw StreamTestFailure("no reply for stream \(id)")
        }
    }

    /// Writes frames as given (already encoded).
    public func sendFrame(_ frame: [UInt8]) async throws {
        try await tcp.send(frame)
    }

    public func sendData(stream: UInt32, _ bytes: [UInt8], fin: Bool = false) async throws {
        try await sendFrame(Self.dataFrame(stream: stream, bytes, fin: fin))
    }

    public func ping(_ id: UInt32) async throws {
        try await sendFrame(Self.controlHeader(type: 6, flags: 0, length: 4) + Self.be32(id))
    }

    public func goAway() async throws {
        try await sendFrame(Self.controlHeader(type: 7, flags: 0, length: 8) + Self.be32(0) + Self.be32(0))
    }

    public func reset(stream: UInt32) async throws {
        try await sendFrame(Self.controlHeader(type: 3, flags: 0, length: 8) + Self.be32(stream) + Self.be32(5))
    }

    /// True once the server closed the TCP connection.
    public func waitClosed() async -> Bool {
        await closedQueue.next() ?? true
    }

    public func close() async {
        await tcp.close()
    }

    // MARK: Encoding

    public static func dataFrame(stream: UInt32, _ bytes: [UInt8], fin: Bool = false) -> [UInt8] {
        be32(stream & 0x7fff_ffff) + [fin ? 1 : 0] + be24(bytes.count) + bytes
    }

    public static func controlHeader(type: UInt16, flags: UInt8, length: Int) -> [UInt8] {
        [0x80, 0x03, UInt8(type >> 8), UInt8(type & 0xff), flags] + be24(length)
    }

    public static func headerBlock(_ headers: [(String, String)]) -> [UInt8] {
        var out = be32(UInt32(headers.count))
        for (name, value) in headers {
            out += be32(UInt32(name.utf8.count)) + Array(name.lowercased().utf8)
            out += be32(UInt32(value.utf8.count)) + Array(value.utf8)
        }
        return out
    }

    public static func be32(_ v: UInt32) -> [UInt8] {
        [UInt8(v >> 24), UInt8(v >> 16 & 0xff), UInt8(v >> 8 & 0xff), UInt8(v & 0xff)]
    }

    public static func be24(_ v: Int) -> [UInt8] {
        [UInt8(v >> 16 & 0xff), UInt8(v >> 8 & 0xff), UInt8(v & 0xff)]
    }

    public static func be32(_ bytes: [UInt8], _ at: Int) -> UInt32 {
        bytes[at..<at + 4].reduce(0) { $0 << 8 | UInt32($1) }
    }
}

/// One stream the test client opened.
public final class ClientStream: Sendable {
    public struct Result: Sendable {
        public var bytes: [UInt8] = []
        public var fin = false
        public var reset: UInt32?
    }

    public let id: UInt32
    public let client: SPDYTestClient
    private let events: TestQueue<SPDYTestClient.StreamEvent>

    init(id: UInt32, client: SPDYTestClient, events: TestQueue<SPDYTestClient.StreamEvent>) {
        self.id = id
        self.client = client
        self.events = events
    }

    public func write(_ bytes: [UInt8], fin: Bool = false) async throws {
        try await client.sendData(stream: id, bytes, fin: fin)
    }

    public func write(_ text: String) async throws {
        try await write(Array(text.utf8))
    }

    /// Half-closes our side.
    public func close() async throws {
        try await write([], fin: true)
    }

    /// The next data, or nil once the server finished or reset the stream.
    public func read() async -> [UInt8]? {
        while let event = await events.next() {
            switch event {
            case .data(let bytes): return bytes
            case .replied: continue
            case .fin, .reset: return nil
            }
        }
        return nil
    }

    /// Reads until `count` bytes arrived (or the stream ended).
    public func read(count: Int) async -> [UInt8] {
        var out: [UInt8] = []
        while out.count < count, let chunk = await read() { out += chunk }
        return out
    }

    /// Everything until the server's FIN or RST.
    public func readToEnd() async -> Result {
        var result = Result()
        while let event = await events.next() {
            switch event {
            case .data(let bytes): result.bytes += bytes
            case .replied: continue
            case .fin:
                result.fin = true
                return result
            case .reset(let status):
                result.reset = status
                return result
            }
        }
        return result
    }

    public func readText() async -> String {
        String(decoding: await readToEnd().bytes, as: UTF8.self)
    }
}
