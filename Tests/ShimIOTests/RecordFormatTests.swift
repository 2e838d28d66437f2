import CorralSystem
import Foundation
import Testing
import ShimIO
import TestSupport

@Suite("CRI record format")
struct RecordFormatTests {
    @Test func recordsCarryTimestampStreamAndTag() throws {
        let dir = try TemporaryDirectory("shimio")
        defer { dir.remove() }
        let writer = try CRILogWriter(path: dir.file("c.log"))
        try writer.write("hello world\n")
        try writer.write("oops\n", stream: .stderr)
        writer.close()

        let text = String(decoding: try LogFile.bytes(dir.file("c.log")), as: UTF8.self)
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        #expect(lines.count == 3 && lines[2].isEmpty)  // every record ends in "\n"
        let pattern = #/^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{9}Z) (stdout|stderr) ([PF]) (.*)$/#
        let first = try #require(try pattern.wholeMatch(in: lines[0]))
        #expect(first.2 == "stdout" && first.3 == "F" && first.4 == "hello world")
        let second = try #require(try pattern.wholeMatch(in: lines[1]))
        #expect(second.2 == "stderr" && second.3 == "F" && second.4 == "oops")
        #expect(first.1 <= second.1)
    }

    @Test func timestampsAreRecent() throws {
        let dir = try TemporaryDirectory("shimio")
        defer { dir.remove() }
        let before = RFC3339.now
        let writer = try CRILogWriter(path: dir.file("c.log"))
        try writer.write("x\n")
        writer.close()
        let after = RFC3339.now
        let record = try #require(try LogFile.records(dir.file("c.log"))?.first)
        // Same fixed-width UTC format, so text order is time order.
        #expect(before <= record.timestamp && record.timestamp <= after)
    }

    @Test func appendsToAnExistingFileCreatedWithMode0640() throws {
        let dir = try TemporaryDirectory("shimio")
        defer { dir.remove() }
        let path = dir.file("c.log")
        let first = try CRILogWriter(path: path)
        try first.write("one\n")
        first.close()
        let second = try CRILogWriter(path: path)
        try second.write("two\n")
        second.close()
        #expect(try LogFile.records(path) == [out("F", "one"), out("F", "two")])

        let mask = umask(0)
        umask(mask)
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        let mode = (attributes[.posixPermissions] as? NSNumber)?.uint16Value
        #expect(mode == 0o640 & ~UInt16(mask))
    }

    @Test func missingDirectoryIsAnError() throws {
        let dir = try TemporaryDirectory("shimio")
        defer { dir.remove() }
        #expect(throws: SystemError("open", dir.file("nope/c.log"), errno: ENOENT)) {
            try CRILogWriter(path: dir.file("nope/c.log"))
        }
    }

    @Test func textWaitsForItsNewline() throws {
        let dir = try TemporaryDirectory("shimio")
        defer { dir.remove() }
        let writer = try CRILogWriter(path: dir.file("c.log"))
        try writer.write("hel")
        #expect(try LogFile.records(dir.file("c.log")) == [])
        try writer.write("lo\nwor")
        try writer.write("ld\nthree\nfour\n")
        writer.close()
        #expect(try LogFile.records(dir.file("c.log")) == [
            out("F", "hello"), out("F", "world"), out("F", "three"), out("F", "four"),
        ])
    }

    @Test func emptyLinesAreEmptyFullRecords() throws {
        let dir = try TemporaryDirectory("shimio")
        defer { dir.remove() }
        let writer = try CRILogWriter(path: dir.file("c.log"))
        try writer.write("\n\na\n\n")
        writer.close()
        #expect(try LogFile.records(dir.file("c.log")) == [out("F", ""), out("F", ""), out("F", "a"), out("F", "")])
        let raw = String(decoding: try LogFile.bytes(dir.file("c.log")), as: UTF8.self)
        #expect(raw.hasSuffix(" stdout F \n"))
    }

    @Test func streamsKeepTheirOwnPartialLines() throws {
        let dir = try TemporaryDirectory("shimio")
        defer { dir.remove() }
        let writer = try CRILogWriter(path: dir.file("c.log"))
        try writer.write("out-a")
        try writer.write("err-a", stream: .stderr)
        try writer.write("-b\n", stream: .stderr)
        try writer.write("-b\nout-c\n")
        try writer.write("err-c\n", stream: .stderr)
        writer.close()
        #expect(try LogFile.records(dir.file("c.log")) == [
            err("F", "err-a-b"), out("F", "out-a-b"), out("F", "out-c"), err("F", "err-c"),
        ])
    }

    @Test func endOfStreamWritesTheUnfinishedLineAsPartial() throws {
        let dir = try TemporaryDirectory("shimio")
        defer { dir.remove() }
        let writer = try CRILogWriter(path: dir.file("c.log"))
        try writer.write("done\nno newline")
        try writer.write("still open", stream: .stderr)
        try writer.finish(.stdout)
        try writer.finish(.stdout)  // nothing left to write twice
        try writer.write("more\n", stream: .stderr)
        try writer.write("after eof", stream: .stderr)
        writer.close()  // flushes what stderr still holds
        #expect(try LogFile.records(dir.file("c.log")) == [
            out("F", "done"), out("P", "no newline"), err("F", "still openmore"), err("P", "after eof"),
        ])
    }

    @Test func carriageReturnBeforeNewlineIsDroppedLikeContainerd() throws {
        let dir = try TemporaryDirectory("shimio")
        defer { dir.remove() }
        let writer = try CRILogWriter(path: dir.file("c.log"))
        try writer.write("dos\r\n")
        try writer.write("split\r")
        try writer.write("\n")
        try writer.write("in\rside\n")
        try writer.write("\r\n")
        try writer.write("two\r\r\n")
        try writer.write("tail\r")
        try writer.finish(.stdout)
        writer.close()
        #expect(try LogFile.records(dir.file("c.log")) == [
            out("F", "dos"), out("F", "split"), out("F", "in\rside"), out("F", ""), out("F", "two\r"),
            out("P", "tail\r"),  // at end of stream no "\n" can follow: containerd keeps the "\r"
        ])
    }

    @Test func writesAfterCloseFail() throws {
        let dir = try TemporaryDirectory("shimio")
        defer { dir.remove() }
        let writer = try CRILogWriter(path: dir.file("c.log"))
        writer.close()
        writer.close()
        #expect(throws: SystemError("write", dir.file("c.log"), errno: EBADF)) { try writer.write("late\n") }
        #expect(throws: SystemError("reopen", dir.file("c.log"), errno: EBADF)) { try writer.reopen() }
        #expect(try LogFile.records(dir.file("c.log")) == [])
    }

    @Test func concurrentStreamsNeverInterleaveWithinARecord() throws {
        let dir = try TemporaryDirectory("shimio")
        defer { dir.remove() }
        let writer = try CRILogWriter(path: dir.file("c.log"), maxLineLength: 300)
        let streams: [LogStream] = [.stdout, .stderr]
        let expected = streams.map { stream in
            (0..<2000).map { i in "\(stream)-\(i)-" + String(repeating: "x", count: (i * 37) % 500) }
        }
        DispatchQueue.concurrentPerform(iterations: 2) { index in
            let bytes = Array(expected[index].map { $0 + "\n" }.joined().utf8)
            var offset = 0
            var step = 1
            while offset < bytes.count {
                let end = min(bytes.count, offset + step)
                try? writer.write(bytes[offset..<end], stream: streams[index])
                offset = end
                step = step % 997 + 13
            }
        }
        writer.close()
        let records = try #require(try LogFile.records(dir.file("c.log")))
        #expect(records.allSatisfy { $0.content.count <= 300 })
        #expect(LogFile.lines(records, stream: "stdout") == expected[0])
        #expect(LogFile.lines(records, stream: "stderr") == expected[1])
    }
}
