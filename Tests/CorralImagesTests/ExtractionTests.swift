@testable import CorralImages
import CorralRegistry
import CorralSystem
import Testing
import TestSupport

#if canImport(Glibc)
import Glibc
#endif

@Suite("Layer unpacking")
struct ExtractionTests {
    @Test("files, directories, links, devices, fifos keep modes, owners, times and xattrs")
    func members() throws {
        let box = try ExtractionSandbox("members")
        defer { box.remove() }
        var tar = TarWriter()
        tar.directory("usr", mtime: 1_600_000_000)
        tar.directory("usr/bin", mode: 0o711, mtime: 1_600_000_100)
        tar.file("usr/bin/tool", "#!/bin/sh\n", mode: 0o4755, uid: 1000, gid: 1001, mtime: 1_600_000_200)
        tar.hardLink("usr/bin/tool2", to: "usr/bin/tool")
        tar.symlink("usr/bin/sh", to: "/bin/busybox")
        tar.add(.init(name: "dev/null", type: UInt8(ascii: "3"), mode: 0o666, major: 1, minor: 3))
        tar.add(.init(name: "dev/sda", type: UInt8(ascii: "4"), mode: 0o660, gid: 6, major: 8, minor: 0))
        tar.add(.init(name: "run/fifo", type: UInt8(ascii: "6"), mode: 0o600))
        tar.add(.init(name: "etc/caps", mode: 0o755, content: Array("x".utf8),
                      pax: [("SCHILY.xattr.user.note", Array("hello".utf8)),
                            ("SCHILY.xattr.trusted.overlay.redirect", Array("/etc".utf8))]))
        let result = try box.unpack(tar.finished())
        #expect(result.diffID == Digest.of(tar.finished()))

        let tool = try #require(fileInfo(box.layer + "/usr/bin/tool"))
        #expect(tool.st_mode & 0o7777 == 0o4755)
        #expect(tool.st_uid == 1000 && tool.st_gid == 1001)
        #expect(tool.st_mtim.tv_sec == 1_600_000_200)
        #expect(readText(box.layer + "/usr/bin/tool") == "#!/bin/sh\n")
        let tool2 = try #require(fileInfo(box.layer + "/usr/bin/tool2"))
        #expect(tool2.st_ino == tool.st_ino)
        #expect(tool.st_nlink == 2)
        #expect(fileType(box.layer + "/usr/bin/sh") == S_IFLNK)
        let bin = try #require(fileInfo(box.layer + "/usr/bin"))
        #expect(bin.st_mode & 0o7777 == 0o711)
        #expect(bin.st_mtim.tv_sec == 1_600_000_100)
        #expect(fileInfo(box.layer + "/usr")?.st_mtim.tv_sec == 1_600_000_000)
        let null = try #require(fileInfo(box.layer + "/dev/null"))
        #expect(null.st_mode & S_IFMT == S_IFCHR)
        #expect(null.st_rdev == At.device(major: 1, minor: 3))
        let sda = try #require(fileInfo(box.layer + "/dev/sda"))
        #expect(sda.st_mode & S_IFMT == S_IFBLK && sda.st_gid == 6)
        #expect(fileType(box.layer + "/run/fifo") == S_IFIFO)
        #expect(ExtendedAttributes.get(path: box.layer + "/etc/caps", name: "user.note") == Array("hello".utf8))
        // Overlay's own metadata is never taken from a layer.
        #expect(ExtendedAttributes.get(path: box.layer + "/etc/caps", name: "trusted.overlay.redirect") == nil)
    }

    @Test("GNU long names and links, PAX path, linkpath, size, uid, gid, mtime")
    func extensions() throws {
        let box = try ExtractionSandbox("extensions")
        defer { box.remove() }
        let longDir = String(repeating: "d", count: 90) + "/" + String(repeating: "e", count: 90)
        let longName = longDir + "/file-with-a-long-name.txt"
        var gnu = TarWriter(format: .gnu)
        gnu.file(longName, "long")
        gnu.add(.init(name: "link-to-long", type: UInt8(ascii: "2"), linkName: longName))
        gnu.add(.init(name: "hard-to-long", type: UInt8(ascii: "1"), linkName: longName))
        try box.unpack(gnu.finished())
        #expect(readText(box.layer + "/" + longName) == "long")
        #expect(fileType(box.layer + "/link-to-long") == S_IFLNK)
        #expect(readText(box.layer + "/hard-to-long") == "long")

        var pax = TarWriter()
        let paxName = String(repeating: "p", count: 150) + "/" + String(repeating: "q", count: 120)
        pax.add(.init(name: "ignored", uid: 1, gid: 1, mtime: 5, content: Array("pax content".utf8),
                      pax: [("path", Array(paxName.utf8)), ("uid", Array("70000".utf8)), ("gid", Array("70001".utf8)),
                            ("mtime", Array("1234567890.5".utf8))]))
        pax.add(.init(name: "sym", type: UInt8(ascii: "2"), linkName: "short",
                      pax: [("linkpath", Array(paxName.utf8))]))
        // A size only PAX knows (the header says 0).
        pax.add(.init(name: "sized", content: Array("twelve bytes".utf8), pax: [("size", Array("12".utf8))], sizeOverride: 0))
        try box.unpack(pax.finished())
        let info = try #require(fileInfo(box.layer + "/" + paxName))
        #expect(info.st_uid == 70000 && info.st_gid == 70001)
        #expect(info.st_mtim.tv_sec == 1_234_567_890 && info.st_mtim.tv_nsec == 500_000_000)
        #expect(readText(box.layer + "/" + paxName) == "pax content")
        var target = [CChar](repeating: 0, count: 512)
        let n = readlink(box.layer + "/sym", &target, 511)
        #expect(n == paxName.utf8.count)
        #expect(readText(box.layer + "/sized") == "twelve bytes")
    }

    /// The header's name field holds the first 100 bytes of a longer name; when those end in
    /// '/', the member is still the regular file its type says (found by bench/pull on a
    /// Debian package's files, which failed the whole pull with a checksum error).
    @Test("a long name whose first 100 bytes end in '/' is still a file, with PAX or GNU long names")
    func longNameCutAtASlash() throws {
        let box = try ExtractionSandbox("cutatslash")
        defer { box.remove() }
        let directory = String(repeating: "d", count: 99)
        let name = directory + "/file-past-the-cut"
        var pax = TarWriter()
        pax.add(.init(name: directory + "/", content: Array("pax".utf8), pax: [("path", Array(name.utf8))]))
        pax.file("after", "still read")
        try box.unpack(pax.finished())
        #expect(readText(box.layer + "/" + name) == "pax")
        #expect(readText(box.layer + "/after") == "still read")

        let gnuBox = try ExtractionSandbox("cutatslashgnu")
        defer { gnuBox.remove() }
        var gnu = TarWriter(format: .gnu)
        gnu.file(name, "gnu")
        gnu.file("after", "still read")
        try gnuBox.unpack(gnu.finished())
        #expect(readText(gnuBox.layer + "/" + name) == "gnu")
        #expect(readText(gnuBox.layer + "/after") == "still read")

        // A pre-POSIX entry (type '\0') named with a trailing '/' is a directory.
        let oldBox = try ExtractionSandbox("v7dir")
        defer { oldBox.remove() }
        var old = TarWriter()
        old.add(.init(name: "olddir/", type: 0))
        try oldBox.unpack(old.finished())
        #expect(fileType(oldBox.layer + "/olddir") == S_IFDIR)
    }

    @Test("archives GNU tar writes (gnu and pax formats) unpack the same")
    func realTar() async throws {
        let src = try TemporaryDirectory("realtar")
        defer { src.remove() }
        let deep = String(repeating: "n", count: 120) + "/" + String(repeating: "m", count: 120)
        try src.write("tree/" + deep + "/f", Array("deep".utf8))
        try src.write("tree/exec", Array("run".utf8), mode: 0o750)
        symlink(deep + "/f", src.path + "/tree/" + String(repeating: "l", count: 150))
        link(src.path + "/tree/exec", src.path + "/tree/exec-link")
        for format in ["gnu", "pax"] {
            let tar = try await Tool.run("/usr/bin/tar", ["-C", src.path + "/tree", "--format=" + format, "-cf", "-", "."]).stdout
            let box = try ExtractionSandbox("realtar-" + format)
            defer { box.remove() }
            let result = try box.unpack(tar)
            #expect(result.diffID == Digest.of(tar))
            #expect(readText(box.layer + "/" + deep + "/f") == "deep")
            #expect(fileInfo(box.layer + "/exec")?.st_mode ?? 0 & 0o777 == fileInfo(src.path + "/tree/exec")?.st_mode ?? 1 & 0o777)
            #expect(fileInfo(box.layer + "/exec")?.st_ino == fileInfo(box.layer + "/exec-link")?.st_ino)
            #expect(fileType(box.layer + "/" + String(repeating: "l", count: 150)) == S_IFLNK)
        }
    }

    @Test("gzip, zstd and plain layers give the diffID of the plain tar")
    func compressions() async throws {
        var tar = TarWriter()
        tar.file("a", String(repeating: "compressible ", count: 10000))
        tar.file("b", "b")
        let plain = tar.finished()
        for (name, bytes) in [("plain", plain), ("gzip", try await Tool.gzip(plain)), ("zstd", try await Tool.zstd(plain))] {
            let box = try ExtractionSandbox("compress-" + name)
            defer { box.remove() }
            let result = try box.unpack(bytes)
            #expect(result.diffID == Digest.of(plain), "\(name)")
            #expect(readText(box.layer + "/b") == "b", "\(name)")
        }
        // Two gzip members in a row are one stream, as gzip -d reads them.
        let half = plain.count / 2
        let twoMembers = try await Tool.gzip(Array(plain[..<half])) + (try await Tool.gzip(Array(plain[half...])))
        let box = try ExtractionSandbox("compress-multi")
        defer { box.remove() }
        #expect(try box.unpack(twoMembers).diffID == Digest.of(plain))
    }

    @Test("a truncated or damaged layer is an error")
    func damaged() async throws {
        var tar = TarWriter()
        tar.file("a", String(repeating: "x", count: 5000))
        let plain = tar.finished()
        let gz = try await Tool.gzip(plain)
        for bytes in [Array(plain[..<1000]), Array(gz[..<(gz.count / 2)]), [UInt8](repeating: 0x41, count: 1024)] {
            let box = try ExtractionSandbox("damaged")
            defer { box.remove() }
            #expect(throws: ImageError.self) { try box.unpack(bytes) }
        }
    }

    @Test("whiteouts become overlay whiteouts and opaque directories")
    func whiteouts() throws {
        let box = try ExtractionSandbox("whiteouts")
        defer { box.remove() }
        var tar = TarWriter()
        tar.directory("etc")
        tar.file("etc/.wh.motd", "")
        tar.directory("var/cache")
        tar.file("var/cache/.wh..wh..opq", "")
        tar.file("var/cache/new", "n")
        tar.file(".wh.gone-dir", "")
        tar.file("x/.wh..wh.plnk", "")
        try box.unpack(tar.finished())
        let motd = try #require(fileInfo(box.layer + "/etc/motd"))
        #expect(motd.st_mode & S_IFMT == S_IFCHR && motd.st_rdev == 0)
        #expect(fileInfo(box.layer + "/etc/.wh.motd") == nil)
        #expect(ExtendedAttributes.get(path: box.layer + "/var/cache", name: "trusted.overlay.opaque") == Array("y".utf8))
        #expect(fileInfo(box.layer + "/var/cache/.wh..wh..opq") == nil)
        #expect(readText(box.layer + "/var/cache/new") == "n")
        #expect(fileType(box.layer + "/gone-dir") == S_IFCHR)
        #expect(fileInfo(box.layer + "/x/.wh..wh.plnk") == nil)
    }

    @Test("a later member replaces an earlier one, a directory stays a directory")
    func replacement() throws {
        let box = try ExtractionSandbox("replace")
        defer { box.remove() }
        var tar = TarWriter()
        tar.file("f", "first")
        tar.file("f", "second")
        tar.directory("d")
        tar.file("d/inner", "i")
        tar.directory("d", mode: 0o700)
        tar.directory("e")
        tar.file("e/x", "x")
        tar.symlink("e", to: "f")
        try box.unpack(tar.finished())
        #expect(readText(box.layer + "/f") == "second")
        #expect(readText(box.layer + "/d/inner") == "i")
        #expect(fileInfo(box.layer + "/d")!.st_mode & 0o777 == 0o700)
        #expect(fileType(box.layer + "/e") == S_IFLNK)
    }

    @Test("replacing entries below the top keeps later members in the right place")
    func nestedReplacement() throws {
        let box = try ExtractionSandbox("nested-replace")
        defer { box.remove() }
        var tar = TarWriter()
        tar.directory("d/e")
        tar.file("d/e/x", "x")
        tar.symlink("d/e", to: "../f")
        tar.file("d/e2", "e2")
        tar.directory("real")
        tar.symlink("top/a", to: "../real")
        tar.file("top/a/b", "through the link")
        tar.directory("top/a")
        tar.file("top/a/c", "in the new directory")
        tar.file("top/.wh.gone", "")
        tar.file("top/after", "after")
        try box.unpack(tar.finished())
        #expect(fileType(box.layer + "/d/e") == S_IFLNK)
        #expect(readText(box.layer + "/d/e2") == "e2")
        #expect(readText(box.layer + "/real/b") == "through the link")
        #expect(fileType(box.layer + "/top/a") == S_IFDIR)
        #expect(readText(box.layer + "/top/a/c") == "in the new directory")
        #expect(fileInfo(box.layer + "/real/c") == nil)
        #expect(fileType(box.layer + "/top/gone") == S_IFCHR)
        #expect(readText(box.layer + "/top/after") == "after")
    }
}
