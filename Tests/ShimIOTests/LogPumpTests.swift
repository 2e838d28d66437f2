import CorralSystem
import Foundation
import Synchronization
import Testing
import ShimIO
import TestSupport

@Suite("log pump", .timeLimit(.minutes(1)))
struct LogPumpTests {
    @Test func childProcessOutputIsLoggedBeforeCompletion() async throws {
        let dir = try TemporaryDirectory("shimio")
        defer { dir.remove() }
        let writer = try CRILogWriter(path: dir.file("c.log"))
        let stdout = try FileDescriptor.pipe()
        let stderr = try FileDescriptor.pipe()
        let (ended, signal) = AsyncStream.makeStream(of: LogStream.self)
        _ = try Pump(reading: stdout.read, stream: .stdout, into: writer) { signal.yield(.stdout) }
        _ = try Pump(reading: stderr.read, stream: .stderr, into: writer) { signal.yield(.stderr) }

        let script = """
            i=0
            while [ $i -lt 500 ]; do echo "out $i"; i=$((i+1)); done
            echo "err line" >&2
            printf 'crlf\\r\\n'
            printf 'no newline at exit'
            """
        let pid = try Spawn.run("/bin/sh", arguments: ["sh", "-c", script],
                                stdio: Spawn.Stdio(stdout: stdout.write, stderr: stderr.write))
        stdout.write.close()
        stderr.write.close()

        var finished: Set<LogStream> = []
        for await stream in ended {
            finished.insert(stream)
            if finished.count == 2 { break }
        }
        var status: Int32 = 0
        waitpid(pid, &status, 0)
        writer.close()

        let records = try #require(try LogFile.records(dir.file("c.log")))
        #expect(LogFile.lines(records, stream: "stdout")
            == (0..<500).map { "out \($0)" } + ["crlf", "no newline at exit"])
        #expect(records.filter { $0.stream == "stdout" }.last == out("P", "no newline at exit"))
        #expect(records.filter { $0.stream == "stderr" } == [err("F", "err line")])
    }

    @Test func largeOutputThroughAPipeArrivesWhole() async throws {
        let dir = try TemporaryDirectory("shimio")
        defer { dir.remove() }
        let writer = try CRILogWriter(path: dir.file("c.log"))
        let pipe = try FileDescriptor.pipe()
        let (ended, signal) = AsyncStream.makeStream(of: Void.self)
        let errors = Counter()
        _ = try Pump(reading: pipe.read, stream: .stdout, into: writer,
                        onError: { _ in errors.increment() }) { signal.finish() }

        let long = String(repeating: "0123456789abcdef", count: 40 * 64)  // 40 KiB
        let lines = (0..<3000).map { "short \($0)" } + [long] + ["after the long one"]
        let feeder = Thread {
            try? pipe.write.writeAll(Array(lines.map { $0 + "\n" }.joined().utf8))
            pipe.write.close()
        }
        feeder.start()
        for await _ in ended {}
        writer.close()

        let records = try #require(try LogFile.records(dir.file("c.log")))
        #expect(LogFile.lines(records, stream: "stdout") == lines)
        #expect(records.filter { $0.tag == "P" }.map(\.content.count) == [16384, 16384])
        #expect(errors.value == 0)
    }

    @Test func cancelledPumpCompletesWithoutEndOfFile() async throws {
        let dir = try TemporaryDirectory("shimio")
        defer { dir.remove() }
        let writer = try CRILogWriter(path: dir.file("c.log"))
        let pipe = try FileDescriptor.pipe()
        defer { pipe.write.close() }
        let (ended, signal) = AsyncStream.makeStream(of: Void.self)
        let pump = try Pump(reading: pipe.read, stream: .stderr, into: writer) { signal.finish() }
        pump.cancel()
        for await _ in ended {}
        writer.close()
        // Whatever was read before the cancel is in the log; with nothing written, nothing is.
        #expect(try LogFile.records(dir.file("c.log")) == [])
    }
}

extension LogPumpTests {
    /// A shim lives as long as its pod, so a pump must not outlive its stream.
    @Test func finishedPumpIsReleased() async throws {
        let dir = try TemporaryDirectory("shimio")
        defer { dir.remove() }
        let writer = try CRILogWriter(path: dir.file("c.log"))
        let pipe = try FileDescriptor.pipe()
        let (ended, signal) = AsyncStream.makeStream(of: Void.self)
        weak var weakPump: Pump?
        do {
            let pump = try Pump(reading: pipe.read, stream: .stdout, into: writer) { signal.finish() }
            weakPump = pump
        }
        try pipe.write.writeAll("bye\n")
        pipe.write.close()
        for await _ in ended {}
        // The pump's thread lets go of it right after calling completion.
        for _ in 0..<100 where weakPump != nil { try await Task.sleep(for: .milliseconds(10)) }
        #expect(weakPump == nil)
        writer.close()
        #expect(try LogFile.records(dir.file("c.log")) == [out("F", "bye")])
    }
}

extension LogPumpTests {
    /// A tty container writes through a pty: the line discipline turns "\n" into "\r\n", and the
    /// master reads EIO, not end of file, once the container's side is closed.
    @Test func ptyOutputIsLoggedAsStdoutLines() async throws {
        let dir = try TemporaryDirectory("shimio")
        defer { dir.remove() }
        let writer = try CRILogWriter(path: dir.file("c.log"))
        let master = try FileDescriptor.open("/dev/ptmx", O_RDWR | O_NOCTTY)
        var unlock: Int32 = 0
        var number: Int32 = 0
        try #require(ioctl(master.rawValue, 0x4004_5431 /* TIOCSPTLCK */, &unlock) == 0)
        try #require(ioctl(master.rawValue, 0x8004_5430 /* TIOCGPTN */, &number) == 0)
        let slave = try FileDescriptor.open("/dev/pts/\(number)", O_RDWR | O_NOCTTY)
        let (ended, signal) = AsyncStream.makeStream(of: Void.self)
        _ = try Pump(reading: master, stream: .stdout, into: writer) { signal.finish() }
        try slave.writeAll("first\nsecond\n")
        slave.close()
        for await _ in ended {}
        writer.close()
        #expect(try LogFile.records(dir.file("c.log")) == [out("F", "first"), out("F", "second")])
    }
}

final class Counter: Sendable {
    private let count = Mutex(0)
    func increment() { count.withLock { $0 += 1 } }
    var value: Int { count.withLock { $0 } }
}
