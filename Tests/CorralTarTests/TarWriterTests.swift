import CorralSystem
import CorralTar
import TestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// What TarWriter writes, read back by GNU tar: every kind of member, names and link targets
/// past ustar's 100 bytes, contents and modes.
@Suite("tar archives")
struct TarWriterTests {
    static func tar(_ arguments: [String]) async throws -> String {
        let result = try await Command.run("/bin/tar", arguments: arguments)
        #expect(result.status == .exited(0), "tar \(arguments.joined(separator: " ")): \(result.stderrText)")
        return result.stdoutText
    }

    @Test("directories, files, symlinks, devices and FIFOs, with long names, read back by tar")
    func everyKind() async throws {
        let dir = try TemporaryDirectory("tar")
        let content = try dir.write("content", Array("the content\n".utf8))
        let longName = "deep/" + String(repeating: "d", count: 120) + "/file.txt"
        let longTarget = "/" + String(repeating: "t", count: 130)
        let archive = dir.path + "/out.tar"
        let output = try FileDescriptor.open(archive, O_WRONLY | O_CREAT | O_EXCL, mode: 0o600)
        let writer = TarWriter(output)
        try writer.directory("deep", mode: 0o750)
        try writer.file(TarMember(name: longName, kind: .regular, size: 12, mode: 0o640, uid: 1234, gid: 2345,
                                  modified: 1_700_000_000), copying: content)
        try writer.file("small", bytes: Array("hi".utf8), mode: 0o600)
        try writer.add(TarMember(name: "link", kind: .symbolicLink, mode: 0o777, linkName: longTarget))
        try writer.add(TarMember(name: "null", kind: .characterDevice, mode: 0o666, deviceMajor: 1, deviceMinor: 3))
        try writer.add(TarMember(name: "pipe", kind: .fifo, mode: 0o644))
        try writer.finish()
        output.close()

        let listing = try await Self.tar(["--numeric-owner", "-tvf", archive]).split(separator: "\n").map(String.init)
        #expect(listing.count == 6)
        #expect(listing[0].hasPrefix("drwxr-x---") && listing[0].hasSuffix(" deep/"))
        #expect(listing[1].hasPrefix("-rw-r----- 1234/2345") && listing[1].hasSuffix(" " + longName))
        #expect(listing[2].hasPrefix("-rw-------") && listing[2].hasSuffix(" small"))
        #expect(listing[3].hasPrefix("lrwxrwxrwx") && listing[3].hasSuffix(" link -> " + longTarget))
        #expect(listing[4].hasPrefix("crw-rw-rw-") && listing[4].contains("1,3") && listing[4].hasSuffix(" null"))
        #expect(listing[5].hasPrefix("prw-r--r--") && listing[5].hasSuffix(" pipe"))
        #expect(try await Self.tar(["-xOf", archive, longName]) == "the content\n")
        #expect(try await Self.tar(["-xOf", archive, "small"]) == "hi")
    }

    @Test("a copied file shorter than its stated size fails instead of writing a torn member")
    func shortSource() throws {
        let dir = try TemporaryDirectory("tar")
        let content = try dir.write("content", Array("four".utf8))
        let output = try FileDescriptor.open(dir.path + "/out.tar", O_WRONLY | O_CREAT | O_EXCL, mode: 0o600)
        defer { output.close() }
        #expect(throws: SystemError.self) {
            try TarWriter(output).file("content", copying: content, size: 10)
        }
    }
}
