@testable import CorralImages
import CorralRegistry
import CorralSystem
import Logging
import OCISpec
import Testing
import TestSupport

#if canImport(Glibc)
import Glibc
#endif

@Suite("Image store", .serialized)
struct ImageStoreTests {
    let logger = Logger(label: "images-test")

    /// A store in a temp dir and a layout of busybox (2 layers) tagged `1.36`.
    func fixture(_ label: String) async throws -> (TemporaryDirectory, ImageStore, LayoutBuilder, Descriptor) {
        let dir = try TemporaryDirectory(label)
        let store = try ImageStore(root: dir.path + "/root", registry: .default, logger: logger)
        let layout = try LayoutBuilder(path: dir.path + "/layout")
        let (manifest, _) = try await layout.image(layers: [try LayoutBuilder.busyboxLayer(), LayoutBuilder.changesLayer()],
                                                   refName: "1.36")
        try layout.index([manifest])
        return (dir, store, layout, manifest)
    }

    @Test("import a layout, find the image by every kind of reference")
    func importAndLookUp() async throws {
        let (dir, store, _, manifest) = try await fixture("import")
        defer { dir.remove() }
        let images = try await store.importLayout(path: dir.path + "/layout", defaultName: "busybox")
        #expect(images.count == 1)
        let image = try #require(images.first)
        #expect(image.repoTags == ["docker.io/library/busybox:1.36"])
        #expect(image.repoDigests == ["docker.io/library/busybox@" + manifest.digest])
        #expect(image.manifestDigest == manifest.digest)
        #expect(image.chainIDs.count == 2)
        #expect(image.chainIDs == ChainID.compute(image.config.rootfs.diffIDs))
        #expect(image.config.config?.cmd == ["/bin/sh"])
        #expect(image.size > 1_000_000)
        #expect(store.list() == [image])

        let hex = String(image.id.dropFirst(7))
        for ref in [image.id, hex, String(hex.prefix(12)), "sha256:" + hex.prefix(8), "busybox:1.36",
                    "docker.io/library/busybox:1.36", "busybox@" + manifest.digest] {
            #expect(store.image(ref) == image, "\(ref)")
        }
        for ref in ["busybox", "busybox:1.35", "other:1.36", "abcdef", "UPPER"] {
            #expect(store.image(ref) == nil, "\(ref)")
        }
        // Layers are unpacked once each, into snapshots/<n>/fs.
        let lowers = store.lowerDirs(of: image)
        #expect(lowers.count == 2)
        #expect(lowers.allSatisfy { $0.hasPrefix(dir.path + "/root/snapshots/") && $0.hasSuffix("/fs") })
        #expect(fileType(lowers[1] + "/bin/busybox") == S_IFREG)

        // It is all still there for a store opened again.
        let reopened = try ImageStore(root: dir.path + "/root", registry: .default, logger: logger)
        #expect(reopened.list() == [image])
        #expect(reopened.lowerDirs(of: image) == lowers)
    }

    @Test("files are read through the layers, honouring whiteouts and opaque directories")
    func readFiles() async throws {
        let (dir, store, _, _) = try await fixture("read")
        defer { dir.remove() }
        let image = try #require(try await store.importLayout(path: dir.path + "/layout", defaultName: "busybox").first)
        let passwd = try #require(store.readFile("/etc/passwd", in: image))
        #expect(String(decoding: passwd, as: UTF8.self).contains("app:x:1000"))
        #expect(store.readFile("/etc/alias", in: image) == passwd)
        #expect(store.readFile("/etc/group", in: image) == nil)
        #expect(store.readFile("/var/cache/old", in: image) == nil)
        #expect(store.readFile("/var/cache/new", in: image) == Array("new".utf8))
        #expect(store.readFile("/bin/sh", in: image)?.count == store.readFile("/bin/busybox", in: image)?.count)
        #expect(store.readFile("/../../etc/passwd", in: image) == passwd)
        #expect(store.readFile("/nonexistent", in: image) == nil)
    }

    @Test("a prepared rootfs mounts as overlay and runs busybox")
    func mountRootfs() async throws {
        let (dir, store, _, _) = try await fixture("mount")
        defer { dir.remove() }
        let image = try #require(try await store.importLayout(path: dir.path + "/layout", defaultName: "busybox").first)
        let mount = try store.prepareRootfs(containerID: "c1", image: image)
        #expect(mount.type == "overlay")
        #expect(mount.source == "overlay")
        #expect(mount.options == ["lowerdir=" + store.lowerDirs(of: image).joined(separator: ":"),
                                  "upperdir=\(dir.path)/root/containers/c1/upper",
                                  "workdir=\(dir.path)/root/containers/c1/work"])
        let target = dir.path + "/rootfs"
        try FileSystem.makeDirectories(target)
        try await Tool.run("/bin/mount", ["-t", mount.type, mount.source, "-o", mount.options.joined(separator: ","), target])
        do {
            #expect(fileInfo(target + "/bin/busybox").map { $0.st_mode & 0o111 != 0 } == true)
            #expect(fileInfo(target + "/etc/group") == nil)
            #expect(fileInfo(target + "/var/cache/old") == nil)
            #expect(readText(target + "/var/cache/new") == "new")
            let echo = try await Tool.run("/usr/sbin/chroot", [target, "/bin/sh", "-c", "echo hello; /bin/busybox wc -l < /etc/passwd"])
            #expect(echo.stdoutText == "hello\n2\n")
            try FileSystem.writeAtomically(target + "/written", Array("w".utf8))
            #expect(readText(dir.path + "/root/containers/c1/upper/written") == "w")
        } catch {
            Issue.record("\(error)")
        }
        // Detached, as the shim unmounts: a runc elsewhere copying the mount table into a new
        // namespace at this moment makes a plain umount of a shared mount fail as busy.
        #expect(Mounts.unmount(target))
        store.removeRootfs(containerID: "c1")
        #expect(fileInfo(dir.path + "/root/containers/c1") == nil)
    }

    @Test("a single-layer image still mounts as overlay")
    func singleLayer() async throws {
        let dir = try TemporaryDirectory("single")
        defer { dir.remove() }
        let store = try ImageStore(root: dir.path + "/root", registry: .default, logger: logger)
        let layout = try LayoutBuilder(path: dir.path + "/layout")
        let (manifest, _) = try await layout.image(layers: [try LayoutBuilder.busyboxLayer()], compression: .zstd)
        try layout.index([manifest])
        let image = try #require(try await store.importLayout(path: layout.path, defaultName: "example.com/one:v1").first)
        #expect(image.repoTags == ["example.com/one:v1"])
        let mount = try store.prepareRootfs(containerID: "single", image: image)
        #expect(mount.type == "overlay")
        #expect(mount.options.first == "lowerdir=" + store.lowerDirs(of: image)[0])
        let target = dir.path + "/rootfs"
        try FileSystem.makeDirectories(target)
        try await Tool.run("/bin/mount", ["-t", "overlay", "overlay", "-o", mount.options.joined(separator: ","), target])
        #expect(fileType(target + "/bin/busybox") == S_IFREG)
        #expect(Mounts.unmount(target))
        store.removeRootfs(containerID: "single")
    }

    @Test("an OCI layout tar archive imports the same")
    func importArchive() async throws {
        let (dir, store, _, manifest) = try await fixture("archive")
        defer { dir.remove() }
        try await Tool.run("/usr/bin/tar", ["-C", dir.path + "/layout", "-cf", dir.path + "/image.tar", "."])
        let image = try #require(try await store.importLayout(path: dir.path + "/image.tar", defaultName: "example.com/bb").first)
        #expect(image.repoTags == ["example.com/bb:1.36"])
        #expect(image.manifestDigest == manifest.digest)
        #expect(store.readFile("/var/cache/new", in: image) == Array("new".utf8))
        #expect(try FileSystem.listDirectory(dir.path + "/root/content/ingest").isEmpty)
    }

    @Test("names: full references in the annotation, bare tags need a default name")
    func naming() async throws {
        let dir = try TemporaryDirectory("naming")
        defer { dir.remove() }
        let store = try ImageStore(root: dir.path + "/root", registry: .default, logger: logger)
        let layout = try LayoutBuilder(path: dir.path + "/layout")
        let (a, _) = try await layout.image(layers: [try LayoutBuilder.busyboxLayer()], refName: "quay.io/team/tool:2")
        let (b, _) = try await layout.image(layers: [try LayoutBuilder.busyboxLayer(), LayoutBuilder.changesLayer()], refName: "v3")
        try layout.index([a, b])
        let images = try await store.importLayout(path: layout.path, defaultName: nil)
        #expect(images.map(\.repoTags) == [["quay.io/team/tool:2"], []])
        #expect(images[1].repoDigests.isEmpty)
        #expect(store.list().count == 2)
        #expect(store.image("quay.io/team/tool:2")?.id == images[0].id)
        #expect(store.image(images[1].id) == images[1])
    }

    @Test("removing a tag keeps the image while another tag names it; the last takes it and its files")
    func removeSemantics() async throws {
        let (dir, store, layout, _) = try await fixture("remove")
        defer { dir.remove() }
        let first = try #require(try await store.importLayout(path: layout.path, defaultName: "busybox").first)
        let second = try #require(try await store.importLayout(path: layout.path, defaultName: "example.com/copy").first)
        #expect(first.id == second.id)
        #expect(second.repoTags == ["docker.io/library/busybox:1.36", "example.com/copy:1.36"])
        let lowers = store.lowerDirs(of: second)

        try store.remove("busybox:1.36")
        let remaining = try #require(store.image(first.id))
        #expect(remaining.repoTags == ["example.com/copy:1.36"])
        #expect(remaining.repoDigests == ["example.com/copy@" + first.manifestDigest])
        #expect(lowers.allSatisfy { fileType($0) == S_IFDIR })
        #expect(throws: ImageError.notFound("busybox:1.36")) { try store.remove("busybox:1.36") }

        try store.remove("example.com/copy:1.36")
        #expect(store.list().isEmpty)
        #expect(lowers.allSatisfy { fileInfo($0) == nil })
        #expect(try FileSystem.listDirectory(dir.path + "/root/content/sha256").isEmpty)
        #expect(try FileSystem.listDirectory(dir.path + "/root/snapshots").isEmpty)

        // By id: everything at once.
        let again = try #require(try await store.importLayout(path: layout.path, defaultName: "busybox").first)
        _ = try await store.importLayout(path: layout.path, defaultName: "example.com/copy")
        try store.remove(String(again.id.dropFirst(7).prefix(12)))
        #expect(store.list().isEmpty)
        #expect(try FileSystem.listDirectory(dir.path + "/root/content/sha256").isEmpty)
        #expect(throws: ImageError.notFound("nothing-here")) { try store.remove("nothing-here") }
    }

    @Test("layers shared between images stay while one of them uses them, as do a container's")
    func sharedLayers() async throws {
        let dir = try TemporaryDirectory("shared")
        defer { dir.remove() }
        let store = try ImageStore(root: dir.path + "/root", registry: .default, logger: logger)
        let layout = try LayoutBuilder(path: dir.path + "/layout")
        let base = try LayoutBuilder.busyboxLayer()
        let (a, _) = try await layout.image(layers: [base, LayoutBuilder.changesLayer(user: "alice")], refName: "example.com/a:1")
        let (b, _) = try await layout.image(layers: [base, LayoutBuilder.changesLayer(user: "bob")], refName: "example.com/b:1")
        try layout.index([a, b])
        let images = try await store.importLayout(path: layout.path, defaultName: nil)
        #expect(images[0].chainIDs[0] == images[1].chainIDs[0])
        #expect(try FileSystem.listDirectory(dir.path + "/root/snapshots").count == 3)
        let aLowers = store.lowerDirs(of: images[0])

        _ = try store.prepareRootfs(containerID: "uses-a", image: images[0])
        try store.remove("example.com/a:1")
        #expect(store.image("example.com/a:1") == nil)
        // The container still has its layers.
        #expect(aLowers.allSatisfy { fileType($0) == S_IFDIR })
        store.removeRootfs(containerID: "uses-a")
        #expect(fileInfo(aLowers[0]) == nil)
        #expect(fileType(aLowers[1]) == S_IFDIR)
        #expect(store.readFile("/etc/passwd", in: images[1]).map { String(decoding: $0, as: UTF8.self).contains("bob") } == true)
        #expect(try FileSystem.listDirectory(dir.path + "/root/snapshots").count == 2)
    }

    @Test("a layer whose diffID is not the config's is refused and leaves nothing")
    func diffIDMismatch() async throws {
        let dir = try TemporaryDirectory("diffid")
        defer { dir.remove() }
        let store = try ImageStore(root: dir.path + "/root", registry: .default, logger: logger)
        let layout = try LayoutBuilder(path: dir.path + "/layout")
        let wrong = Digest.of(Array("not this layer".utf8)).description
        let (manifest, _) = try await layout.image(layers: [LayoutBuilder.changesLayer()], diffIDs: [wrong], refName: "bad")
        try layout.index([manifest])
        await #expect(throws: ImageError.self) { try await store.importLayout(path: layout.path, defaultName: "bad") }
        #expect(store.list().isEmpty)
        #expect(try FileSystem.listDirectory(dir.path + "/root/snapshots").isEmpty)
    }

    @Test("a blob that is not what its name says is refused")
    func corruptBlob() async throws {
        let (dir, store, layout, manifest) = try await fixture("corrupt")
        defer { dir.remove() }
        let bytes = try FileSystem.readFile(layout.path + "/blobs/sha256/" + manifest.digest.dropFirst(7))
        try FileSystem.writeAtomically(layout.path + "/blobs/sha256/" + manifest.digest.dropFirst(7), bytes + [0x20])
        await #expect(throws: ImageError.self) { try await store.importLayout(path: layout.path, defaultName: "busybox") }
        #expect(store.list().isEmpty)
    }

    @Test("concurrent imports of the same layout agree and unpack each layer once")
    func concurrentImports() async throws {
        let (dir, store, layout, _) = try await fixture("concurrent")
        defer { dir.remove() }
        let results = try await withThrowingTaskGroup(of: Image.self) { group in
            for n in 0..<6 {
                group.addTask { try await store.importLayout(path: layout.path, defaultName: "example.com/n\(n % 2)")[0] }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(Set(results.map(\.id)).count == 1)
        let image = try #require(store.image(results[0].id))
        #expect(image.repoTags == ["example.com/n0:1.36", "example.com/n1:1.36"])
        let snapshotDirs = try FileSystem.listDirectory(dir.path + "/root/snapshots")
        #expect(snapshotDirs.count == 2)
        #expect(snapshotDirs.allSatisfy { Int($0) != nil })
        #expect(try FileSystem.listDirectory(dir.path + "/root/content/ingest").isEmpty)
        #expect(store.readFile("/var/cache/new", in: image) == Array("new".utf8))
        let usage = store.fsInfo()
        #expect(usage.mountpoint == dir.path + "/root/snapshots")
        #expect(usage.usedBytes > 1_000_000 && usage.inodesUsed > 5)
    }

    @Test("an index in the layout is imported for this platform")
    func nestedIndex() async throws {
        let dir = try TemporaryDirectory("nested")
        defer { dir.remove() }
        let store = try ImageStore(root: dir.path + "/root", registry: .default, logger: logger)
        let layout = try LayoutBuilder(path: dir.path + "/layout")
        let (amd, amdConfig) = try await layout.image(layers: [try LayoutBuilder.busyboxLayer()], architecture: "amd64")
        let (arm, _) = try await layout.image(layers: [LayoutBuilder.changesLayer()], architecture: "arm64", variant: "v8")
        var index = try layout.blob(JSONCoding.encode(ImageIndex(manifests: [arm, amd])), mediaType: MediaType.ociIndex)
        index.annotations = [ImageAnnotation.refName: "multi"]
        try layout.index([index])
        let image = try #require(try await store.importLayout(path: layout.path, defaultName: "example.com/m").first)
        #expect(image.id == amdConfig)
        #expect(image.repoTags == ["example.com/m:multi"])
        #expect(image.repoDigests == ["example.com/m@" + index.digest])
    }
}
