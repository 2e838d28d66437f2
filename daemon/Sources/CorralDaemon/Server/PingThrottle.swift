/// Keeps grpc-go clients (kubelet, crictl, critest) from being cut off by swift-nio-http2's
/// flood protection. grpc-go sends a PING for bandwidth estimation on almost every response
/// it receives, and NIOHTTP2 closes a connection (GOAWAY ENHANCE_YOUR_CALM) that sends more
/// than 200 control frames in 30 s — a kubelet polling its pods does that. grpc-swift offers
/// no setting for the limit, so inbound PINGs beyond a budget are dropped before the HTTP/2
/// handler counts them. An unanswered bandwidth PING only stops grpc-go from sending more of
/// them on that connection; keepalive PINGs, which need their ACK, are far rarer than the budget.
struct PingThrottle: Sendable {
    static let preface = 24
    static let frameHeader = 9
    static let pingType: UInt8 = 0x6

    /// PINGs let through per window; below NIOHTTP2's 200, leaving room for SETTINGS and its own.
    let budget: Int
    let window: UInt64
    private var prefaceLeft = PingThrottle.preface
    private var pending: [UInt8] = []
    private var passed: [UInt64] = []
    private(set) var dropped = 0

    init(budget: Int = 120, windowNanos: UInt64 = 30_000_000_000) {
        self.budget = budget
        self.window = windowNanos
    }

    /// Takes the bytes read off the connection; returns those to hand on (whole frames, less
    /// the PINGs over budget). A partial frame waits for the rest.
    mutating func feed(_ bytes: some Collection<UInt8>, now: UInt64) -> [UInt8] {
        pending.append(contentsOf: bytes)
        var output: [UInt8] = []
        var index = 0
        if prefaceLeft > 0 {
            let take = min(prefaceLeft, pending.count)
            output.append(contentsOf: pending[0..<take])
            prefaceLeft -= take
            index = take
        }
        while prefaceLeft == 0, pending.count - index >= Self.frameHeader {
            let length = Int(pending[index]) << 16 | Int(pending[index + 1]) << 8 | Int(pending[index + 2])
            let total = Self.frameHeader + length
            guard pending.count - index >= total else { break }
            if pending[index + 3] == Self.pingType, !admit(now: now) {
                dropped += 1
            } else {
                output.append(contentsOf: pending[index..<(index + total)])
            }
            index += total
        }
        pending.removeFirst(index)
        return output
    }

    private mutating func admit(now: UInt64) -> Bool {
        passed.removeAll { now &- $0 >= window }
        guard passed.count < budget else { return false }
        passed.append(now)
        return true
    }
}
