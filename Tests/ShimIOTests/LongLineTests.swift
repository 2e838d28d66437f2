import CorralSystem
import Testing
import ShimIO
import TestSupport

@Suite("long lines")
struct LongLineTests {
    @Test func fortyKiBLineBecomesTwoPartialsAndAFull() throws {
        let dir = try TemporaryDirectory("shimio")
        defer { dir.remove() }
        let line = (0..<40 * 1024).map { UInt8(ascii: "a") + UInt8($0 % 26) }
        let writer = try CRILogWriter(path: dir.file("c.log"))
        try writer.write(line + [UInt8(ascii: "\n")], stream: .stdout)
        writer.close()

        let records = try #require(try LogFile.records(dir.file("c.log")))
        #expect(records.map(\.tag) == ["P", "P", "F"])
        #expect(records.map(\.content.count) == [16384, 16384, 8192])
        #expect(records.flatMap(\.content) == line)
        // Each record is one line of the file: header, content, "\n".
        let fileLines = try LogFile.bytes(dir.file("c.log")).split(separator: UInt8(ascii: "\n"))
        #expect(fileLines.count == 3)
    }

    @Test func lineOfExactlyTheLimitIsOneFullRecord() throws {
        #expect(try records(of: "abcd\n", maxLength: 4) == [out("F", "abcd")])
        #expect(try records(of: "abcde\n", maxLength: 4) == [out("P", "abcd"), out("F", "e")])
        #expect(try records(of: "abcdefgh\n", maxLength: 4) == [out("P", "abcd"), out("F", "efgh")])
    }

    @Test func limitIsConfigurable() throws {
        #expect(try records(of: "0123456789abcdefghij-\n", maxLength: 10) == [
            out("P", "0123456789"), out("P", "abcdefghij"), out("F", "-"),
        ])
    }

    @Test func carriageReturnNewlineNeverCountsTowardTheLimit() throws {
        #expect(try records(of: "abcd\r\n", maxLength: 4) == [out("F", "abcd")])
        #expect(try records(of: ["abcd\r", "\n"], maxLength: 4) == [out("F", "abcd")])
        #expect(try records(of: ["abcd\r", "x\n"], maxLength: 4) == [out("P", "abcd"), out("F", "\rx")])
        #expect(try records(of: ["abc\r", "x\n"], maxLength: 4) == [out("P", "abc\r"), out("F", "x")])
    }

    @Test func unfinishedLongLineAtEndOfStreamIsAllPartials() throws {
        #expect(try records(of: "abcdefghij", maxLength: 4) == [out("P", "abcd"), out("P", "efgh"), out("P", "ij")])
        #expect(try records(of: "abcd\r", maxLength: 4) == [out("P", "abcd"), out("P", "\r")])
    }

    /// However the output is cut into reads, the records are containerd's: lines split at "\n",
    /// "\r\n" dropped, `maxLength` pieces tagged P with an F at the end of the line.
    @Test(arguments: [1, 3, 7, 64, 4096])
    func readSizesDoNotChangeTheRecords(maxChunk: Int) throws {
        var random = SeededRandom(seed: UInt64(maxChunk))
        var input: [UInt8] = []
        for _ in 0..<400 {
            let length = [0, 1, 5, 31, 32, 33, 64, 65, 100].randomElement(using: &random)!
            input += (0..<length).map { _ in [UInt8(ascii: "z"), UInt8(ascii: "\r"), UInt8(ascii: "q")].randomElement(using: &random)! }
            input += Bool.random(using: &random) ? Array("\r\n".utf8) : [UInt8(ascii: "\n")]
        }
        input += Array("unfinished\r".utf8)

        var chunks: [[UInt8]] = []
        var offset = 0
        while offset < input.count {
            let end = min(input.count, offset + Int.random(in: 1...maxChunk, using: &random))
            chunks.append(Array(input[offset..<end]))
            offset = end
        }
        #expect(try records(of: chunks, maxLength: 32) == containerdRecords(input, maxLength: 32))
    }

    private func records(of text: String, maxLength: Int) throws -> [CRIRecord]? {
        try records(of: [text], maxLength: maxLength)
    }

    private func records(of texts: [String], maxLength: Int) throws -> [CRIRecord]? {
        try records(of: texts.map { Array($0.utf8) }, maxLength: maxLength)
    }

    private func records(of chunks: [[UInt8]], maxLength: Int) throws -> [CRIRecord]? {
        let dir = try TemporaryDirectory("shimio")
        defer { dir.remove() }
        let writer = try CRILogWriter(path: dir.file("c.log"), maxLineLength: maxLength)
        for chunk in chunks { try writer.write(chunk, stream: .stdout) }
        try writer.finish(.stdout)
        writer.close()
        return try LogFile.records(dir.file("c.log"))
    }

    /// containerd's redirectLogs, restated on a whole input at once.
    private func containerdRecords(_ input: [UInt8], maxLength: Int) -> [CRIRecord] {
        var result: [CRIRecord] = []
        var lines = input.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)
        let unfinished = lines.removeLast()
        func pieces(_ content: ArraySlice<UInt8>) -> [ArraySlice<UInt8>] {
            stride(from: content.startIndex, to: content.endIndex, by: maxLength).map {
                content[$0..<min($0 + maxLength, content.endIndex)]
            }
        }
        for var line in lines {
            if line.last == UInt8(ascii: "\r") { line = line.dropLast() }
            let parts = pieces(line)
            for (index, part) in parts.enumerated() {
                var record = out(index == parts.count - 1 ? "F" : "P", "")
                record.content = Array(part)
                result.append(record)
            }
            if parts.isEmpty { result.append(out("F", "")) }
        }
        for part in pieces(unfinished) {
            var record = out("P", "")
            record.content = Array(part)
            result.append(record)
        }
        return result
    }
}

/// splitmix64: the same "random" input on every run.
struct SeededRandom: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
