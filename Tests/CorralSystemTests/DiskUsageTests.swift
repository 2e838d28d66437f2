import CorralSystem
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// DiskUsage counts as du(1) does, which is what kubelet sets against the disk's capacity.
@Suite("disk usage")
struct DiskUsageTests {
    func du(_ path: String) async throws -> UInt64 {
        let result = try await Command.run("/usr/bin/du", arguments: ["-s", "-B1", path])
        return UInt64(result.stdoutText.split(separator: "\t").first ?? "") ?? 0
    }

    @Test func blocksHardLinksOnceLinksNotFollowedAndNoOtherFileSystem() async throws {
        let dir = "/tmp/corral-du-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        try FileSystem.makeDirectories(dir + "/a/b/c")
        defer { FileSystem.removeTree(dir) }
        try FileSystem.writeAtomically(dir + "/a/b/c/big", [UInt8](repeating: 7, count: 300_000))
        try FileSystem.writeAtomically(dir + "/a/small", [1])
        #expect(link(dir + "/a/b/c/big", dir + "/a/again") == 0)
        #expect(symlink("/usr", dir + "/a/usr") == 0)
        let usage = DiskUsage.of(dir)
        // dir, a, b, c, big (twice linked), small, the symlink.
        #expect(usage.inodes == 7)
        #expect(usage.bytes == (try await du(dir)), "\(usage)")
        #expect(usage.bytes >= 300_000 && usage.bytes < 2 * 300_000)
        #expect(DiskUsage.of(dir + "/missing") == DiskUsage())
        #expect(DiskUsage.of(dir + "/a/small").inodes == 1)
        if getuid() == 0 {
            try Mounts.mount("tmpfs", on: dir + "/a/b", type: "tmpfs", data: "size=1m")
            defer { _ = Mounts.unmount(dir + "/a/b") }
            try FileSystem.writeAtomically(dir + "/a/b/elsewhere", [UInt8](repeating: 1, count: 100_000))
            #expect(DiskUsage.of(dir).inodes == 5, "a mounted file system is not counted")
        }
    }
}
