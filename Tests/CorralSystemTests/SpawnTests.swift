import CorralSystem
import Testing

#if canImport(Glibc)
import Glibc
#endif

@Suite("starting programs")
struct SpawnTests {
    /// A program still open for writing (just written, or being replaced) cannot run: the spawn
    /// waits a moment for the writer instead of failing at once.
    @Test func aProgramStillOpenForWritingRunsOnceTheWriterIsDone() throws {
        let path = "/tmp/corral-spawn-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).sh"
        defer { unlink(path) }
        let writer = try FileDescriptor.open(path, O_WRONLY | O_CREAT | O_TRUNC, mode: 0o755)
        try writer.writeAll("#!/bin/sh\nexit 7\n")
        // Still open: exec would say ETXTBSY.
        BlockingWork.start {
            usleep(30_000)
            writer.close()
        }
        let pid = try Spawn.run(path, arguments: [path])
        #expect(try ProcessControl.wait(for: pid) == .exited(7))
    }

    @Test func aProgramThatStaysOpenForWritingFails() throws {
        let path = "/tmp/corral-spawn-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).sh"
        defer { unlink(path) }
        let writer = try FileDescriptor.open(path, O_WRONLY | O_CREAT | O_TRUNC, mode: 0o755)
        defer { writer.close() }
        try writer.writeAll("#!/bin/sh\nexit 7\n")
        #expect(throws: SystemError.self) { _ = try Spawn.run(path, arguments: [path]) }
    }
}
