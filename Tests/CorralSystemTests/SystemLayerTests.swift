import CorralSystem
import CSeccomp
import CSystemd
import Testing

#if canImport(Glibc)
import Glibc
#endif

@Suite("system layer")
struct SystemLayerTests {
    @Test func shortHashIsStableAndSixteenHexDigits() {
        #expect(ShortHash.hex("") == "cbf29ce484222325")
        #expect(ShortHash.hex("a") == "af63dc4c8601ec8c")
        #expect(ShortHash.hex("/run/corral/pods/x").count == 16)
    }

    @Test func rfc3339HasNanosecondsInUTC() {
        #expect(RFC3339.format(wallNanos: 0) == "1970-01-01T00:00:00.000000000Z")
        #expect(RFC3339.format(wallNanos: 1_700_000_000_123_456_789) == "2023-11-14T22:13:20.123456789Z")
    }

    /// chattr +T, read back with lsattr. Only where the test's dir is on ext4 (as /tmp is on
    /// these machines); elsewhere the flag may not exist and the call must merely fail.
    @Test func subdirectoriesAreSpreadOnExt4() async throws {
        let dir = "/tmp/corral-topdir-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        try FileSystem.makeDirectories(dir)
        defer { FileSystem.removeTree(dir) }
        let type = try await Command.run("/usr/bin/stat", arguments: ["-f", "-c", "%T", dir]).stdoutText
        guard type.hasPrefix("ext2/ext3"), FileSystem.exists("/usr/bin/lsattr") else {
            #expect(FileSystem.spreadSubdirectories("/proc") == false)
            return
        }
        func flags() async throws -> String {
            let result = try await Command.run("/usr/bin/lsattr", arguments: ["-d", dir])
            return String(result.stdoutText.split(separator: " ").first ?? "")
        }
        #expect(try await !flags().contains("T"))
        #expect(FileSystem.spreadSubdirectories(dir))
        #expect(try await flags().contains("T"))
        #expect(FileSystem.spreadSubdirectories(dir), "setting it again is fine")
        #expect(!FileSystem.spreadSubdirectories(dir + "/missing"))
    }

    @Test func atomicWriteReplacesWholeFiles() throws {
        let dir = "/tmp/corral-sys-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        try FileSystem.makeDirectories(dir + "/a/b")
        defer { FileSystem.removeTree(dir) }
        try FileSystem.writeAtomically(dir + "/a/b/f", Array("one".utf8))
        try FileSystem.writeAtomically(dir + "/a/b/f", Array("two".utf8))
        #expect(try FileSystem.readText(dir + "/a/b/f") == "two")
        #expect(try FileSystem.listDirectory(dir + "/a/b") == ["f"])
    }

    @Test func spawnAndWaitReportExitCodesAndSignals() throws {
        let sh = "/bin/sh"
        let exited = try Spawn.run(sh, arguments: [sh, "-c", "exit 7"])
        #expect(try ProcessControl.wait(for: exited) == .exited(7))
        let killed = try Spawn.run(sh, arguments: [sh, "-c", "kill -9 $$"])
        #expect(try ProcessControl.wait(for: killed) == .signaled(9))
        #expect(ExitStatus.signaled(9).code == 137)
    }

    @Test func spawnedChildrenInheritNoStrayDescriptors() throws {
        let pipe = try FileDescriptor.pipe()
        defer { pipe.read.close() }
        // A descriptor without close-on-exec, which the child must still not see.
        let leaky = dup(pipe.write.rawValue)
        defer { close(leaky) }
        let sh = "/bin/sh"
        let pid = try Spawn.run(sh, arguments: [sh, "-c", "ls /proc/self/fd | wc -l"],
                                stdio: .init(stdout: pipe.write))
        pipe.write.close()
        _ = try ProcessControl.wait(for: pid)
        let count = Int(String(decoding: try pipe.read.read(upTo: 64), as: UTF8.self)
            .trimmingCharacters(in: .whitespacesAndNewlines))
        // stdin, stdout, stderr and the one ls opens to list them.
        #expect(count == 4)
    }

    @Test func processStatisticsReadThisProcess() {
        let stats = ProcessStatistics.read()
        #expect(stats.vmRSSBytes > 0)
        #expect(stats.pssBytes > 0)
        #expect(stats.threads >= 1)
        #expect(stats.openFileDescriptors >= 3)
    }

    @Test func libseccompAndLibsystemdAreLinked() {
        #expect(seccomp_syscall_resolve_name("read") == 0)
        #expect(seccomp_syscall_resolve_name("no_such_syscall") < 0)
        // Not booted with systemd here; the call answering at all shows the library is linked.
        #expect(sd_booted() >= 0)
    }
}

extension String {
    fileprivate func trimmingCharacters(in _: Whitespace) -> String {
        String(drop(while: \.isWhitespace).reversed().drop(while: \.isWhitespace).reversed())
    }

    fileprivate enum Whitespace { case whitespacesAndNewlines }
}
