@testable import CorralShim
import CorralSystem
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The files of a checkpoint archive besides CRIU's images: the rootfs diff from an overlay
/// upper dir (whiteouts become deleted.files, mount points stay out) and the archive written
/// under a temporary name and renamed, or not at all.
@Suite("checkpoint archive files", .enabled(if: getuid() == 0))
struct CheckpointFilesTests {
    static func tar(_ arguments: [String]) async throws -> String {
        let result = try await Command.run("/bin/tar", arguments: arguments)
        #expect(result.status == .exited(0), "tar \(arguments.joined(separator: " ")): \(result.stderrText)")
        return result.stdoutText
    }

    static func makeTemporaryDirectory() throws -> String {
        let path = "/tmp/corral-ckpt-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        try FileSystem.makeDirectories(path, mode: 0o755)
        return path
    }

    @Test("the upper dir's files go into rootfs-diff.tar, its whiteouts into deleted.files, mount points nowhere")
    func rootfsDiff() async throws {
        let dir = try Self.makeTemporaryDirectory()
        defer { FileSystem.removeTree(dir) }
        let upper = dir + "/upper"
        for sub in ["tmp", "etc/new", "dev/pts", "run"] { try FileSystem.makeDirectories(upper + "/" + sub, mode: 0o755) }
        try FileSystem.writeAtomically(upper + "/tmp/count", Array("42\n".utf8), mode: 0o640)
        try FileSystem.writeAtomically(upper + "/etc/hosts", Array("stub".utf8))
        try FileSystem.writeAtomically(upper + "/dev/pts/0", [])
        #expect(symlink("/tmp/count", upper + "/etc/new/link") == 0)
        // overlayfs records a removed file as a character device 0:0.
        #expect(mknod(upper + "/etc/removed", S_IFCHR | 0o000, 0) == 0)
        try FileSystem.makeDirectories(dir + "/bundle", mode: 0o755)
        try FileSystem.writeAtomically(dir + "/bundle/config.json", Array("""
            {"mounts":[{"destination":"/etc/hosts","type":"bind","source":"/x"},{"destination":"/dev/","type":"tmpfs"}]}
            """.utf8))

        let excluded = try RootfsDiff.mountDestinations(ofBundle: dir + "/bundle")
        #expect(excluded == ["/etc/hosts", "/dev"])
        var diff = RootfsDiff(upper: upper, excluded: excluded)
        try diff.write(toFile: dir + "/rootfs-diff.tar")

        let names = try await Self.tar(["-tf", dir + "/rootfs-diff.tar"]).split(separator: "\n").map(String.init)
        #expect(names == ["etc/", "etc/new/", "etc/new/link", "run/", "tmp/", "tmp/count"])
        #expect(try await Self.tar(["-xOf", dir + "/rootfs-diff.tar", "tmp/count"]) == "42\n")
        #expect(diff.deleted == ["/etc/removed"])
        #expect(String(decoding: diff.deletedFilesJSON, as: UTF8.self) == #"["/etc/removed"]"#)
    }

    @Test("the archive holds its members under CRI-O's names, mode 0600, and only once it is whole")
    func archive() async throws {
        let dir = try Self.makeTemporaryDirectory()
        defer { FileSystem.removeTree(dir) }
        try FileSystem.makeDirectories(dir + "/images", mode: 0o700)
        try FileSystem.writeAtomically(dir + "/images/inventory.img", Array("inventory".utf8))
        try FileSystem.writeAtomically(dir + "/dump.log", Array("log".utf8))
        var archive = CheckpointArchive(images: dir + "/images")
        archive.contents = [("config.dump", Array(#"{"id":"c"}"#.utf8))]
        archive.files = [("dump.log", dir + "/dump.log", false), ("stats-dump", dir + "/missing", true)]
        try FileSystem.makeDirectories(dir + "/out", mode: 0o755)
        let location = dir + "/out/checkpoint.tar"

        let temporary = try archive.writeTemporary(beside: location)
        #expect(FileSystem.parent(of: temporary) == dir + "/out" && !FileSystem.exists(location))
        try CheckpointArchive.commit(temporary, to: location)
        #expect(try FileSystem.listDirectory(dir + "/out") == ["checkpoint.tar"])
        var info = stat()
        #expect(stat(location, &info) == 0 && info.st_mode & 0o777 == 0o600)
        let names = try await Self.tar(["-tf", location]).split(separator: "\n").map(String.init)
        #expect(names == ["config.dump", "checkpoint/", "checkpoint/inventory.img", "dump.log"])

        // A member that cannot be read fails the archive and leaves nothing beside the location.
        archive.files.append(("container.log", dir + "/no-log", false))
        #expect(throws: SystemError.self) { try archive.writeTemporary(beside: dir + "/out/second.tar") }
        #expect(try FileSystem.listDirectory(dir + "/out") == ["checkpoint.tar"])
    }
}
