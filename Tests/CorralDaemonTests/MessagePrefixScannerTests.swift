@testable import CorralDaemon
import Testing

/// The gRPC framing followed across DATA frames split anywhere, bodies skipped unread.
@Suite("the message limit's prefix scanner")
struct MessagePrefixScannerTests {
    static func message(_ length: Int) -> [UInt8] {
        [0, UInt8(length >> 24 & 0xff), UInt8(length >> 16 & 0xff), UInt8(length >> 8 & 0xff), UInt8(length & 0xff)]
            + [UInt8](repeating: 0xAB, count: min(length, 64))
    }

    @Test("messages within the limit pass, however the frames cut them")
    func withinLimit() {
        let bytes = Self.message(10) + Self.message(64) + Self.message(0) + Self.message(3)
        for cut in 1...bytes.count {
            var scanner = MessagePrefixScanner()
            var found: Int?
            for start in stride(from: 0, to: bytes.count, by: cut) {
                found = found ?? scanner.scan(bytes[start..<min(start + cut, bytes.count)], limit: 64)
            }
            #expect(found == nil, "cut every \(cut) bytes")
        }
    }

    @Test("a prefix over the limit is found even split across frames, after messages that passed")
    func overLimit() {
        let over = (16 << 20) + 1
        let bytes = Self.message(5) + Self.message(over).prefix(5)
        for cut in 1...bytes.count {
            var scanner = MessagePrefixScanner()
            var found: Int?
            for start in stride(from: 0, to: bytes.count, by: cut) {
                found = found ?? scanner.scan(bytes[start..<min(start + cut, bytes.count)], limit: 16 << 20)
            }
            #expect(found == over, "cut every \(cut) bytes")
        }
    }

    @Test("a body that carries bytes like a prefix is skipped, not read as one")
    func bodyIsSkipped() {
        var scanner = MessagePrefixScanner()
        // A 5-byte body that looks like a prefix of 4 GiB: skipped as body.
        #expect(scanner.scan([0, 0, 0, 0, 5] + [0, 0xff, 0xff, 0xff, 0xff], limit: 16) == nil)
        #expect(scanner.scan([0, 0, 0, 0, 17], limit: 16) == 17)
    }
}
