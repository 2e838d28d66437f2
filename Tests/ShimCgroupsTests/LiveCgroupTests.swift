import CorralSystem
import ShimCgroups
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Real cgroupfs, as root, in private trees under every hierarchy the tests use.
@Suite("cgroups on this machine")
struct LiveCgroupTests {
    @Test func statsOfARunningShellGrowAsItWorks() async throws {
        let tree = try TestCgroupTree()
        defer { tree.forceRemove() }
        let ctr = try tree.create("/pod/ctr")
        try tree.write("64", to: "pids.max", in: ctr, controller: "pids")
        let child = try ShellChild("""
            read go; i=0; while [ $i -lt 100000 ]; do i=$((i+1)); done
            x=$(head -c 1000000 /dev/zero | tr '\\0' a); echo burned; read go
            """)
        defer { child.killAndReap() }
        try tree.move(child.pid, into: ctr)

        let located = try tree.layout.paths(ofProcess: child.pid)
        #expect(located.legacy["memory"] == ctr.legacy["memory"])
        #expect(located.legacy["cpuacct"] == ctr.legacy["cpuacct"])
        #expect(located.unified == ctr.unified)

        let before = CgroupStats.read(ctr)
        try child.send("go")
        #expect(await child.readLine() == "burned")
        let after = CgroupStats.read(ctr)
        #expect(after.cpu.usageNanos > before.cpu.usageNanos)
        #expect(after.cpu.userNanos + after.cpu.systemNanos > 0)
        #expect(after.memory.usageBytes > 0)
        #expect(after.memory.workingSetBytes <= after.memory.usageBytes)
        #expect(after.memory.pageFaults > 0)
        #expect(after.memory.limitBytes == nil)
        #expect(after.pids.current >= 1)
        #expect(after.pids.limit == 64)
        // The pod's cgroup counts its containers.
        #expect(CgroupStats.read(tree.paths("/pod")).cpu.usageNanos >= after.cpu.usageNanos)
        if let unified = ctr.unified {
            // Hybrid: no controllers on cgroup2, but its core cpu.stat still counts.
            let v2 = CgroupStats.read(CgroupPaths(unified: unified))
            #expect(v2.cpu.usageNanos > 0)
        }

        try child.send("go")
        #expect(await child.wait() == .exited(0))
        try await CgroupCleanup.remove([ctr], parents: [tree.paths("/pod"), tree.paths()])
        #expect(tree.isGone)
    }

    @Test func cleanupWaitsOutProcessesThatAreStillExiting() async throws {
        let tree = try TestCgroupTree()
        defer { tree.forceRemove() }
        let ctr = try tree.create("/ctr")
        let child = try ShellChild("read go; exec sleep 30")
        defer { child.killAndReap() }
        try tree.move(child.pid, into: ctr)
        try child.send("go")
        kill(child.pid, SIGKILL)

        try await CgroupCleanup.remove([ctr], parents: [tree.paths()])
        #expect(tree.isGone)
        #expect(await child.wait() == .signaled(SIGKILL))
    }

    @Test func cleanupGivesUpOnALiveProcessAndSaysWhere() async throws {
        let tree = try TestCgroupTree()
        defer { tree.forceRemove() }
        let ctr = try tree.create("/ctr")
        let child = try ShellChild("read go")
        defer { child.killAndReap() }
        try tree.move(child.pid, into: ctr)

        let failure = await #expect(throws: CgroupCleanup.Failure.self) {
            try await CgroupCleanup.remove([ctr], timeout: .milliseconds(100))
        }
        #expect(failure?.errors.count == ctr.allDirectories.count)
        #expect(failure?.errors.allSatisfy { $0.errno == EBUSY } == true)
        #expect(ctr.allDirectories.allSatisfy(FileSystem.exists))

        try child.send("go")
        #expect(await child.wait() == .exited(0))
        try await CgroupCleanup.remove([ctr], parents: [tree.paths()])
        #expect(tree.isGone)
    }

    @Test func cleanupTakesNestedCgroupsAndOnlyEmptyParents() async throws {
        let tree = try TestCgroupTree()
        defer { tree.forceRemove() }
        let first = try tree.create("/pod/first")
        try tree.create("/pod/first/made-by-the-container/deeper")
        let second = try tree.create("/pod/second")
        let pod = tree.paths("/pod")

        try await CgroupCleanup.remove([first], parents: [pod])
        #expect(first.allDirectories.allSatisfy { !FileSystem.exists($0) })
        #expect(pod.allDirectories.allSatisfy(FileSystem.exists))

        try await CgroupCleanup.remove([second], parents: [pod, tree.paths()])
        #expect(tree.isGone)

        // Gone already is fine.
        try await CgroupCleanup.remove([first, second], parents: [pod, tree.paths()])
    }
}
