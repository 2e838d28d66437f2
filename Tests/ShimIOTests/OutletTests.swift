import CorralSystem
import Foundation
import Synchronization
import Testing
import ShimIO
import TestSupport

/// Outlets: what a pump copies besides the log, for attached clients and a process's stdin.
@Suite("pump outlets", .timeLimit(.minutes(1)))
struct OutletTests {
    /// Records how each outlet ended.
    final class Endings: Sendable {
        private let list = Mutex<[Outlet.Ending]>([])
        func record(_ ending: Outlet.Ending) { list.withLock { $0.append(ending) } }
        var all: [Outlet.Ending] { list.withLock { $0 } }
        var broken: Int { all.filter { if case .broken = $0 { true } else { false } }.count }
        var sourceEnded: Int { all.filter { if case .sourceEnded = $0 { true } else { false } }.count }
    }

    /// Everything `fd` yields until end of file, read on a thread.
    static func readAll(_ fd: FileDescriptor, delay: Duration = .zero) async -> [UInt8] {
        await BlockingWork.run {
            if delay > .zero { Thread.sleep(forTimeInterval: Double(delay.components.seconds) + Double(delay.components.attoseconds) / 1e18) }
            var bytes: [UInt8] = []
            while let chunk = try? fd.read(upTo: 65536), !chunk.isEmpty { bytes += chunk }
            fd.close()
            return bytes
        }
    }

    @Test func aHoldingOutletGetsEverythingFromASlowReaderAndTheLogToo() async throws {
        let dir = try TemporaryDirectory("shimio")
        defer { dir.remove() }
        let writer = try CRILogWriter(path: dir.file("c.log"))
        let source = try FileDescriptor.pipe()
        let sink = try FileDescriptor.pipe()
        let endings = Endings()
        let outlet = try Outlet(sink.write, backpressure: .holdSource) { endings.record($0) }
        let (ended, signal) = AsyncStream.makeStream(of: Void.self)
        _ = try Pump(reading: source.read, stream: .stdout, into: writer, outlets: [outlet]) { signal.finish() }

        let lines = (0..<20000).map { "line \($0) " + String(repeating: "x", count: 40) }
        let payload = Array(lines.map { $0 + "\n" }.joined().utf8)  // about 1 MiB, far beyond a pipe
        async let received = Self.readAll(sink.read, delay: .milliseconds(300))
        let feeder = Thread {
            try? source.write.writeAll(payload)
            source.write.close()
        }
        feeder.start()
        for await _ in ended {}
        #expect(await received == payload)
        #expect(endings.sourceEnded == 1 && endings.broken == 0)
        writer.close()
        #expect(LogFile.lines(try #require(try LogFile.records(dir.file("c.log"))), stream: "stdout") == lines)
    }

    @Test func aDroppingOutletThatFallsBehindIsDroppedWhileTheLogGetsEverything() async throws {
        let dir = try TemporaryDirectory("shimio")
        defer { dir.remove() }
        let writer = try CRILogWriter(path: dir.file("c.log"))
        let source = try FileDescriptor.pipe()
        let sink = try FileDescriptor.pipe()  // never read
        defer { sink.read.close() }
        let endings = Endings()
        let outlet = try Outlet(sink.write, backpressure: .dropBeyond(4096)) { endings.record($0) }
        let (ended, signal) = AsyncStream.makeStream(of: Void.self)
        _ = try Pump(reading: source.read, stream: .stdout, into: writer, outlets: [outlet]) { signal.finish() }

        let lines = (0..<5000).map { "line \($0) " + String(repeating: "y", count: 40) }
        let feeder = Thread {
            try? source.write.writeAll(Array(lines.map { $0 + "\n" }.joined().utf8))
            source.write.close()
        }
        feeder.start()
        for await _ in ended {}
        #expect(endings.broken == 1)
        #expect(!outlet.isOpen)
        writer.close()
        #expect(LogFile.lines(try #require(try LogFile.records(dir.file("c.log"))), stream: "stdout") == lines)
    }

    @Test func aReaderThatLeavesIsNoticedWithoutOutput() async throws {
        let source = try FileDescriptor.pipe()
        defer { source.write.close() }
        let sink = try FileDescriptor.pipe()
        let (broke, signal) = AsyncStream.makeStream(of: Outlet.Ending.self)
        let outlet = try Outlet(sink.write, backpressure: .dropBeyond(1 << 20)) { signal.yield($0) }
        let pump = try Pump(reading: source.read, outlets: [outlet]) {}
        defer { pump.cancel() }
        sink.read.close()
        var ending: Outlet.Ending?
        for await first in broke {
            ending = first
            break
        }
        if case .broken? = ending {} else { Issue.record("expected broken, got \(String(describing: ending))") }
        #expect(!outlet.isOpen)
    }

    @Test func outletsAddedLaterGetWhatFollowsAndAreFinishedAtEndOfFile() async throws {
        let source = try FileDescriptor.pipe()
        let sink = try FileDescriptor.pipe()
        let endings = Endings()
        let (ended, signal) = AsyncStream.makeStream(of: Void.self)
        let pump = try Pump(reading: source.read) { signal.finish() }
        try source.write.writeAll("dropped\n")
        try await Task.sleep(for: .milliseconds(200))
        pump.add(try Outlet(sink.write, backpressure: .holdSource) { endings.record($0) })
        try source.write.writeAll("kept\n")
        source.write.close()
        let kept = await Self.readAll(sink.read)
        #expect(String(decoding: kept, as: UTF8.self) == "kept\n")
        for await _ in ended {}
        #expect(endings.sourceEnded == 1)

        // Added after the end: finished at once, so its reader sees end of file.
        let late = try FileDescriptor.pipe()
        pump.add(try Outlet(late.write, backpressure: .holdSource) { endings.record($0) })
        #expect(await Self.readAll(late.read).isEmpty)
        #expect(endings.sourceEnded == 2)
    }

    @Test func aClosedOutletIsNotWrittenAndNotReported() async throws {
        let source = try FileDescriptor.pipe()
        let sink = try FileDescriptor.pipe()
        let endings = Endings()
        let (ended, signal) = AsyncStream.makeStream(of: Void.self)
        let outlet = try Outlet(sink.write, backpressure: .holdSource) { endings.record($0) }
        _ = try Pump(reading: source.read, outlets: [outlet]) { signal.finish() }
        outlet.close()
        try source.write.writeAll("after close\n")
        source.write.close()
        for await _ in ended {}
        #expect(await Self.readAll(sink.read).isEmpty)
        #expect(endings.all.isEmpty)
    }
}
