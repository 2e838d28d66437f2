import CorralSystem
import Foundation
import Synchronization
import Testing
@testable import ShimIO

@Suite("log pump")
struct LogPumpTests {
    @Test func childProcessOutputIsLoggedBeforeCompletion() async throws {
        let dir = try TempDirectory()
        defer { dir.cleanUp() }
        let writer = try CRILogWriter(path: dir.file("c.log"))
        let stdout = try FileDescriptor.pipe()
        let stderr = try FileDescriptor.pipe()
        let (ended, signal) = AsyncStream.makeStream(of: LogStream.self)
        _ = try LogPump(reading: stdout.read, stream: .stdout, into: writer) { signal.yield(.stdout) }
        _ = try LogPump(reading: stderr.read, stream: .stderr, into: writer) { signal.yield(.stderr) }

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
        let dir = try TempDirectory()
        defer { dir.cleanUp() }
        let writer = try CRILogWriter(path: dir.file("c.log"))
        let pipe = try FileDescriptor.pipe()
        let (ended, signal) = AsyncStream.makeStream(of: Void.self)
        let errors = Counter()
        _ = try LogPump(reading: pipe.read, stream: .stdout, into: writer,
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
        let dir = try TempDirectory()
        defer { dir.cleanUp() }
        let writer = try CRILogWriter(path: dir.file("c.log"))
        let pipe = try FileDescriptor.pipe()
        defer { pipe.write.close() }
        let (ended, signal) = AsyncStream.makeStream(of: Void.self)
        let pump = try LogPump(reading: pipe.read, stream: .stderr, into: writer) { signal.finish() }
        pump.cancel()
        for await _ in ended {}
        writer.close()
        // Whatever was read before the cancel is in the log; with nothing written, nothing is.
        #expect(try LogFile.records(dir.file("c.log")) == [])
    }
}

final class Counter: Sendable {
    private let count = Mutex(0)
    func increment() { count.withLock { $0 += 1 } }
    var value: Int { count.withLock { $0 } }
}
