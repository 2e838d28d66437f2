import CorralSystem
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Mount trees as the daemon handles them under bundles: removal stops at anything mounted,
/// and a recursive read-only copy is read-only all the way down while its source is not.
@Suite("mount trees", .serialized, .enabled(if: getuid() == 0))
struct MountTreeTests {
    func withDirectory(_ body: (String) throws -> Void) throws {
        let dir = "/tmp/corral-mounts-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        try FileSystem.makeDirectories(dir)
        defer {
            for path in [dir + "/copy/sub", dir + "/copy", dir + "/bundle/volume", dir + "/source/sub"] {
                while Mounts.unmount(path) {}
            }
            FileSystem.removeTree(dir)
        }
        try body(dir)
    }

    @Test func removeTreeLeavesWhatIsMountedInsideAlone() throws {
        try withDirectory { dir in
            // Somebody's data, bound under a bundle that is being removed.
            try FileSystem.makeDirectories(dir + "/data")
            try FileSystem.writeAtomically(dir + "/data/precious", Array("keep".utf8))
            try FileSystem.makeDirectories(dir + "/bundle/volume")
            try FileSystem.writeAtomically(dir + "/bundle/config.json", Array("{}".utf8))
            try Mounts.bind(dir + "/data", to: dir + "/bundle/volume")
            FileSystem.removeTree(dir + "/bundle")
            #expect(try FileSystem.readText(dir + "/data/precious") == "keep")
            #expect(!FileSystem.exists(dir + "/bundle/config.json"))
            #expect(FileSystem.exists(dir + "/bundle/volume"))
            Mounts.unmount(dir + "/bundle/volume")
            FileSystem.removeTree(dir + "/bundle")
            #expect(!FileSystem.exists(dir + "/bundle"))
        }
    }

    @Test func aRecursiveReadOnlyCopyIsReadOnlyBelowItsTop() throws {
        try withDirectory { dir in
            try FileSystem.makeDirectories(dir + "/source/sub")
            try Mounts.mount("none", on: dir + "/source/sub", type: "tmpfs", data: "size=64k")
            try FileSystem.makeDirectories(dir + "/copy")
            try Mounts.copyTree(of: dir + "/source", at: dir + "/copy", readOnly: true, makePrivate: true)
            #expect(throws: SystemError.self) { try FileSystem.writeAtomically(dir + "/copy/top", Array("x".utf8)) }
            let below = #expect(throws: SystemError.self) { try FileSystem.writeAtomically(dir + "/copy/sub/below", Array("x".utf8)) }
            #expect(below?.errno == EROFS, "\(String(describing: below))")
            // The source and its submount are as writable as before.
            try FileSystem.writeAtomically(dir + "/source/sub/below", Array("x".utf8))
            #expect(FileSystem.exists(dir + "/copy/sub/below"))
        }
    }
}
