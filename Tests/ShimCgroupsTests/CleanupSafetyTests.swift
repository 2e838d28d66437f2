import CorralSystem
import ShimCgroups
import Testing
import TestSupport

#if canImport(Glibc)
import Glibc
#endif

@Suite("cleanup safety")
struct CleanupSafetyTests {
    /// A tmpfs of the test's own stands in for a hierarchy root: removing a real one would
    /// take every empty cgroup on the machine with it.
    @Test func aMountedHierarchyRootIsNeverRemovedNorEmptied() async throws {
        let dir = try TemporaryDirectory()
        let root = dir.path + "/hierarchy"
        try FileSystem.makeDirectories(root, mode: 0o755)
        guard mount("tmpfs", root, "tmpfs", 0, "size=64k") == 0 else { throw SystemError("mount", root) }
        defer { withExtendedLifetime(dir) { _ = umount(root) } }
        try FileSystem.makeDirectories(root + "/someone-else", mode: 0o755)

        let asLeaf = await #expect(throws: CgroupCleanup.Failure.self) {
            try await CgroupCleanup.remove([CgroupPaths(unified: root)])
        }
        #expect(asLeaf?.errors.map(\.errno) == [EINVAL])
        let asParent = await #expect(throws: CgroupCleanup.Failure.self) {
            try await CgroupCleanup.remove([], parents: [CgroupPaths(legacy: ["memory": root])])
        }
        #expect(asParent?.errors.map(\.errno) == [EINVAL])
        #expect(FileSystem.exists(root + "/someone-else"))
    }
}
