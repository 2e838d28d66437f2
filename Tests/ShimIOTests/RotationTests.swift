import CorralSystem
import Foundation
import Testing
import ShimIO
import TestSupport

@Suite("log rotation", .timeLimit(.minutes(1)))
struct RotationTests {
    @Test func recordsBeforeReopenStayInTheRenamedFile() throws {
        let dir = try TemporaryDirectory("shimio")
        defer { dir.remove() }
        let path = dir.file("0.log")
        let writer = try CRILogWriter(path: path)
        try writer.write("one\ntwo\n")
        try writer.write("three\n", stream: .stderr)
        try FileManager.default.moveItem(atPath: path, toPath: path + ".20261129-084920")
        try writer.write("four\n")  // kubelet has renamed, not yet reopened: still the old file
        try writer.reopen()
        try writer.write("five\n")
        try writer.write("six\n", stream: .stderr)
        writer.close()

        #expect(try LogFile.records(path + ".20261129-084920") == [
            out("F", "one"), out("F", "two"), err("F", "three"), out("F", "four"),
        ])
        #expect(try LogFile.records(path) == [out("F", "five"), err("F", "six")])
    }

    @Test func unfinishedLineIsWrittenWholeToTheNewFile() throws {
        let dir = try TemporaryDirectory("shimio")
        defer { dir.remove() }
        let path = dir.file("0.log")
        let writer = try CRILogWriter(path: path)
        try writer.write("whole\nhalf a ")
        try FileManager.default.moveItem(atPath: path, toPath: path + ".1")
        try writer.reopen()
        try writer.write("line\n")
        writer.close()
        #expect(try LogFile.records(path + ".1") == [out("F", "whole")])
        #expect(try LogFile.records(path) == [out("F", "half a line")])
    }

    @Test func failedReopenKeepsWritingToTheOldFile() throws {
        let dir = try TemporaryDirectory("shimio")
        defer { dir.remove() }
        try FileManager.default.createDirectory(atPath: dir.file("pod"), withIntermediateDirectories: false)
        let writer = try CRILogWriter(path: dir.file("pod/0.log"))
        try writer.write("before\n")
        try FileManager.default.moveItem(atPath: dir.file("pod"), toPath: dir.file("moved"))
        #expect(throws: SystemError("open", dir.file("pod/0.log"), errno: ENOENT)) { try writer.reopen() }
        try writer.write("after\n")
        writer.close()
        #expect(try LogFile.records(dir.file("moved/0.log")) == [out("F", "before"), out("F", "after")])
    }

    /// Rotation while a pump is logging: whatever moment the reopen falls on, the old file ends
    /// where the new one begins and no line is lost or doubled.
    @Test func rotationDuringAPumpLosesNothing() async throws {
        let dir = try TemporaryDirectory("shimio")
        defer { dir.remove() }
        let path = dir.file("0.log")
        let writer = try CRILogWriter(path: path)
        let pipe = try FileDescriptor.pipe()
        let (ended, signal) = AsyncStream.makeStream(of: Void.self)
        _ = try Pump(reading: pipe.read, stream: .stdout, into: writer) { signal.finish() }

        let lines = (0..<5000).map { "line \($0) " + String(repeating: "y", count: $0 % 300) }
        let feeder = Thread {
            try? pipe.write.writeAll(Array(lines.map { $0 + "\n" }.joined().utf8))
            pipe.write.close()
        }
        feeder.start()
        for rotation in 1...3 {
            try FileManager.default.moveItem(atPath: path, toPath: path + ".\(rotation)")
            try writer.reopen()
        }
        for await _ in ended {}
        writer.close()

        var all: [CRIRecord] = []
        for name in [".1", ".2", ".3", ""] {
            all += try #require(try LogFile.records(path + name))
        }
        #expect(LogFile.lines(all, stream: "stdout") == lines)
    }
}
