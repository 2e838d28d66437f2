@testable import CorralImages
import CorralRegistry
import CorralSystem
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Hostile layers: each tries to write outside the layer directory and must not.
@Suite("Layer unpacking stays inside the layer")
struct ExtractionSafetyTests {
    @Test("`..` components are clamped at the layer's top")
    func dotDot() throws {
        let box = try ExtractionSandbox("dotdot")
        defer { box.remove() }
        var tar = TarWriter()
        tar.file("../escaped", "no")
        tar.file("a/../../../escaped2", "no")
        tar.directory("../../escaped-dir")
        try box.unpack(tar.finished())
        #expect(try box.outside().isEmpty)
        #expect(readText(box.layer + "/escaped") == "no")
        #expect(readText(box.layer + "/escaped2") == "no")
        #expect(fileType(box.layer + "/escaped-dir") == S_IFDIR)
    }

    @Test("absolute names are taken relative to the layer")
    func absolute() throws {
        let box = try ExtractionSandbox("absolute")
        defer { box.remove() }
        let target = box.dir.path + "/abs-target"
        var tar = TarWriter()
        tar.file(target, "no")
        tar.file("/etc/corral-images-test-\(getpid())", "no")
        try box.unpack(tar.finished())
        #expect(try box.outside().isEmpty)
        #expect(fileInfo("/etc/corral-images-test-\(getpid())") == nil)
        #expect(readText(box.layer + target) == "no")
    }

    @Test("writing through a symlink resolves inside the layer", arguments: [
        "ABS", "../../..", "../", "/", "inner/../../..",
    ])
    func throughSymlink(link: String) throws {
        let box = try ExtractionSandbox("symlink")
        defer { box.remove() }
        let target = link == "ABS" ? box.dir.path : link
        var tar = TarWriter()
        tar.directory("inner")
        tar.symlink("evil", to: target)
        tar.file("evil/pwned", "no")
        tar.directory("evil/dir")
        tar.file("evil/dir/deeper", "no")
        tar.symlink("evil/link2", to: "/")
        tar.file("evil/link2/pwned2", "no")
        try box.unpack(tar.finished())
        #expect(try box.outside().isEmpty)
        #expect(fileInfo(box.dir.path + "/pwned") == nil)
        // The symlink itself is kept as written: it is the container's to follow, inside its root.
        #expect(fileType(box.layer + "/evil") == S_IFLNK)
    }

    @Test("a file member never follows a symlink at its own name")
    func lastComponentSymlink() throws {
        let box = try ExtractionSandbox("lastlink")
        defer { box.remove() }
        try box.dir.write("victim", Array("original".utf8))
        var tar = TarWriter()
        tar.symlink("f", to: box.dir.path + "/victim")
        tar.file("f", "overwritten")
        tar.symlink("g", to: "../victim")
        tar.add(.init(name: "g", type: UInt8(ascii: "6")))
        try box.unpack(tar.finished())
        #expect(readText(box.dir.path + "/victim") == "original")
        #expect(try box.outside() == ["victim"])
        #expect(readText(box.layer + "/f") == "overwritten")
        #expect(fileType(box.layer + "/g") == S_IFIFO)
    }

    @Test("hard links to anything outside the layer are refused", arguments: [
        "ABS", "../victim", "../../../../../../etc/passwd", "/etc/passwd", "link/victim",
    ])
    func hardLinkOutside(target: String) throws {
        let box = try ExtractionSandbox("hardlink")
        defer { box.remove() }
        try box.dir.write("victim", Array("original".utf8))
        var tar = TarWriter()
        tar.symlink("link", to: box.dir.path)
        tar.hardLink("stolen", to: target == "ABS" ? box.dir.path + "/victim" : target)
        #expect(throws: ImageError.self) { try box.unpack(tar.finished()) }
        #expect(fileInfo(box.dir.path + "/victim")?.st_nlink == 1)
        #expect(fileInfo("/etc/passwd")?.st_nlink == 1)
        #expect(try box.outside() == ["victim"])
    }

    @Test("a hard link to a symlink links the symlink, not what it points at")
    func hardLinkToSymlink() throws {
        let box = try ExtractionSandbox("hardsym")
        defer { box.remove() }
        try box.dir.write("victim", Array("original".utf8))
        var tar = TarWriter()
        tar.symlink("sym", to: box.dir.path + "/victim")
        tar.hardLink("copy", to: "sym")
        try box.unpack(tar.finished())
        #expect(fileType(box.layer + "/copy") == S_IFLNK)
        #expect(fileInfo(box.dir.path + "/victim")?.st_nlink == 1)
    }

    @Test("a whiteout through a symlink lands inside the layer")
    func whiteoutThroughSymlink() throws {
        let box = try ExtractionSandbox("whsym")
        defer { box.remove() }
        try box.dir.write("victim", Array("original".utf8))
        var tar = TarWriter()
        tar.symlink("out", to: box.dir.path)
        tar.file("out/.wh.victim", "")
        tar.file("out/.wh..wh..opq", "")
        try box.unpack(tar.finished())
        #expect(readText(box.dir.path + "/victim") == "original")
        #expect(ExtendedAttributes.get(path: box.dir.path, name: "trusted.overlay.opaque") == nil)
        #expect(fileType(box.layer + box.dir.path + "/victim") == S_IFCHR)
    }

    @Test("symlink loops end in an error, not a hang")
    func loops() throws {
        let box = try ExtractionSandbox("loop")
        defer { box.remove() }
        var tar = TarWriter()
        tar.symlink("a", to: "b")
        tar.symlink("b", to: "a")
        tar.file("a/x", "x")
        #expect(throws: ImageError.self) { try box.unpack(tar.finished()) }
        #expect(try box.outside().isEmpty)
    }
}
