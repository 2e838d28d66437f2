import CorralSystem
import ShimCgroups
import Testing
import TestSupport

#if canImport(Glibc)
import Glibc
#endif

/// Serialized: the descriptor-leak check counts this process's eventfds and inotify instances.
@Suite("OOM watcher", .serialized)
struct OOMWatcherTests {
    static let quietEvents = "low 0\nhigh 0\nmax 0\noom 0\noom_kill 0\n"

    @Test func v2ReportsEachRiseOfOomKillAndNothingElse() async throws {
        let dir = try TemporaryDirectory()
        try dir.file("memory.events", Self.quietEvents)
        let calls = CallCount()
        let watcher = try OOMWatcher(paths: CgroupLayout.v2(at: dir.path).paths(forCgroupsPath: "/")) { calls.record() }
        defer { watcher.stop() }

        try overwrite(dir.path + "/memory.events", "low 0\nhigh 0\nmax 3\noom 1\noom_kill 0\n")
        try await Task.sleep(for: .milliseconds(100))
        #expect(calls.value == 0)

        try overwrite(dir.path + "/memory.events", "low 0\nhigh 0\nmax 3\noom 1\noom_kill 1\n")
        #expect(await eventually { calls.value == 1 })
        try overwrite(dir.path + "/memory.events", "low 0\nhigh 0\nmax 3\noom 2\noom_kill 2\n")
        #expect(await eventually { calls.value == 2 })
    }

    @Test func v2CountsAKillThatCameBeforeTheWatchAsAlreadySeen() async throws {
        let dir = try TemporaryDirectory()
        try dir.file("memory.events", "oom 1\noom_kill 1\n")
        let calls = CallCount()
        let watcher = try OOMWatcher(memoryDirectory: dir.path, version: .v2) { calls.record() }
        defer { watcher.stop() }
        try overwrite(dir.path + "/memory.events", "oom 1\noom_kill 1\n")
        try await Task.sleep(for: .milliseconds(100))
        #expect(calls.value == 0)
    }

    @Test func v2StopsCallingAfterStop() async throws {
        let dir = try TemporaryDirectory()
        try dir.file("memory.events", Self.quietEvents)
        let calls = CallCount()
        let watcher = try OOMWatcher(memoryDirectory: dir.path, version: .v2) { calls.record() }
        watcher.stop()
        #expect(watcher.isStopped)
        try overwrite(dir.path + "/memory.events", "oom 5\noom_kill 5\n")
        try await Task.sleep(for: .milliseconds(100))
        #expect(calls.value == 0)
    }

    @Test func v2EndsByItselfWhenTheEventsFileGoes() async throws {
        let dir = try TemporaryDirectory()
        try dir.file("memory.events", Self.quietEvents)
        let watcher = try OOMWatcher(memoryDirectory: dir.path, version: .v2) {}
        FileSystem.remove(dir.path + "/memory.events")
        #expect(await eventually { watcher.isStopped })
    }

    @Test func watchingACgroupThatIsNotThereFails() throws {
        let dir = try TemporaryDirectory()
        #expect(throws: SystemError.self) { try OOMWatcher(memoryDirectory: dir.path + "/gone", version: .v2) {} }
        #expect(throws: SystemError.self) { try OOMWatcher(memoryDirectory: dir.path + "/gone", version: .v1) {} }
        #expect(throws: SystemError.self) { try OOMWatcher(paths: CgroupPaths()) {} }
    }

    /// Real v1: a shell under a 16 MiB limit fills a variable with 64 MB.
    @Test func v1FiresWhenTheKernelKillsAProcessOverItsLimit() async throws {
        let tree = try TestCgroupTree()
        defer { tree.forceRemove() }
        let ctr = try tree.create("/pod/ctr")
        try tree.write("\(16 << 20)", to: "memory.limit_in_bytes", in: ctr, controller: "memory")
        // Without this, swap (where there is some) would take the overflow instead of the OOM killer.
        if FileSystem.exists(ctr.legacy["memory"]! + "/memory.memsw.limit_in_bytes") {
            try tree.write("\(16 << 20)", to: "memory.memsw.limit_in_bytes", in: ctr, controller: "memory")
        }
        let child = try ShellChild("read go; x=$(head -c 64000000 /dev/zero | tr '\\0' a); echo survived ${#x}")
        defer { child.killAndReap() }
        try tree.move(child.pid, into: ctr)
        #expect(ctr.oomKillCount() == 0)

        let calls = CallCount()
        let watcher = try OOMWatcher(paths: ctr) { calls.record() }
        try child.send("go")
        #expect(await child.wait() == .signaled(SIGKILL))
        #expect(await eventually { calls.value >= 1 })
        #expect(ctr.oomKillCount() >= 1)
        #expect(CgroupStats.read(ctr).memory.limitBytes == 16 << 20)

        // Removing the cgroup signals the eventfd too; that ends the watch without a report.
        let reported = calls.value
        try await CgroupCleanup.remove([ctr], parents: [tree.paths("/pod"), tree.paths()])
        #expect(tree.isGone)
        #expect(await eventually { watcher.isStopped })
        #expect(calls.value == reported)
    }

    @Test func stoppedWatchersCloseTheirDescriptors() async throws {
        let tree = try TestCgroupTree()
        defer { tree.forceRemove() }
        let dir = try TemporaryDirectory()
        try dir.file("memory.events", Self.quietEvents)
        let eventfds = openDescriptors("anon_inode:[eventfd]")
        let inotifies = openDescriptors("anon_inode:inotify")

        for _ in 0..<10 {
            let v1 = try OOMWatcher(paths: tree.paths()) {}
            let v2 = try OOMWatcher(memoryDirectory: dir.path, version: .v2) {}
            v1.stop()
            _ = v2  // released unstopped: deinit stops it
        }
        #expect(await eventually { openDescriptors("anon_inode:[eventfd]") <= eventfds })
        #expect(await eventually { openDescriptors("anon_inode:inotify") <= inotifies })
        try await CgroupCleanup.remove([tree.paths()])
        #expect(tree.isGone)
    }
}
