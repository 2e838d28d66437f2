@testable import CorralImages
import CorralRegistry
import CorralSystem
import OCISpec
import Testing
import TestSupport

#if canImport(Glibc)
import Glibc
#endif

/// A pull meets a full disk or a registry that dies halfway: the pull fails with a clear error,
/// the store holds no half-written blob, no blob whose bytes do not match its digest and no
/// half-unpacked snapshot, and the same pull succeeds once the disk has room or the registry is
/// back. Real docker-registry, real tmpfs for the store.
@Suite("Image store faults", .serialized, .enabled(if: getuid() == 0 && FileSystem.exists("/usr/bin/docker-registry")))
struct StoreFaultTests {
    /// An uncompressed layer holding one file of `size` random bytes: no compression shrinks it.
    static func randomLayer(size: Int) -> [UInt8] {
        var generator = SystemRandomNumberGenerator()
        var bytes = [UInt8](repeating: 0, count: size)
        bytes.withUnsafeMutableBytes { raw in
            let words = raw.bindMemory(to: UInt64.self)
            for index in words.indices { words[index] = generator.next() }
        }
        var tar = TarWriter()
        tar.add(.init(name: "random.bin", mode: 0o644, content: bytes))
        return tar.finished()
    }

    /// busybox below a layer of `size` random bytes, pushed as `repository:latest`.
    static func push(_ registry: DockerRegistry, _ dir: TemporaryDirectory, _ repository: String, randomBytes size: Int) async throws {
        let layout = try LayoutBuilder(path: dir.path + "/layout-" + repository.replacingOccurrences(of: "/", with: "-"))
        // Made on a thread of its own: seconds of work on the cooperative pool would hold up
        // the suites running beside this one.
        let random = await BlockingWork.run { randomLayer(size: size) }
        let (manifest, _) = try await layout.image(layers: [try LayoutBuilder.busyboxLayer(), random],
                                                   compression: .none, refName: "latest")
        try layout.index([manifest])
        try await registry.push(layout: layout.path, tag: "latest", to: repository + ":latest")
    }

    /// What a failed pull may leave: whole blobs that match their digests and whole snapshots,
    /// nothing being written, no image.
    static func checkNothingHalf(_ root: String, _ store: ImageStore) async throws {
        #expect(store.list().isEmpty, "an image was recorded")
        #expect(try FileSystem.listDirectory(root + "/content/ingest").isEmpty, "a download was left in ingest")
        for name in try FileSystem.listDirectory(root + "/content/sha256") {
            let path = root + "/content/sha256/" + name
            let hex = await BlockingWork.run { (try? FileSystem.readFile(path, limit: 256 << 20)).map { Digest.of($0).hex } }
            #expect(hex == name, "blob \(name) does not hold its digest's bytes")
        }
        let snapshots = try FileSystem.listDirectory(root + "/snapshots")
        #expect(!snapshots.contains { $0.hasPrefix("tmp-") }, "a half-unpacked snapshot: \(snapshots)")
        let recorded = Set(try store.database.snapshots().map { "\($0.number)" })
        #expect(Set(snapshots.filter { !$0.hasPrefix("trash-") }) == recorded, "snapshots without rows: \(snapshots)")
    }

    /// A tmpfs of `megabytes` as the store's root, unmounted afterwards.
    static func withSmallDisk(_ dir: TemporaryDirectory, megabytes: Int, _ body: (String) async throws -> Void) async throws {
        let root = dir.path + "/root"
        try FileSystem.makeDirectories(root, mode: 0o755)
        try Mounts.mount("tmpfs", on: root, type: "tmpfs", data: "size=\(megabytes)m")
        defer { _ = Mounts.unmount(root) }
        try await body(root)
    }

    static func randomFileSize(_ store: ImageStore, _ image: Image) -> Int64? {
        store.lowerDirs(of: image).compactMap { try? FileSystem.status($0 + "/random.bin").size }.first
    }

    static func grow(_ root: String, toMegabytes megabytes: Int) throws {
        try Mounts.mount("tmpfs", on: root, type: "tmpfs", flags: UInt(MS_REMOUNT), data: "size=\(megabytes)m")
    }

    /// 24 MiB of random layer on 16 MiB: the download itself fails; 10 MiB on 16 MiB: the blob
    /// fits, its unpacking does not.
    @Test("a full disk fails the pull with ENOSPC and leaves nothing half; with room the pull succeeds",
          arguments: [("download", 24 << 20), ("unpack", 10 << 20)])
    func diskFull(where stage: String, size: Int) async throws {
        let registry = try await DockerRegistry()
        defer { registry.stop() }
        let dir = try TemporaryDirectory("diskfull")
        defer { dir.remove() }
        try await Self.push(registry, dir, "big/" + stage, randomBytes: size)
        try await Self.withSmallDisk(dir, megabytes: 16) { root in
            try await withStore(root: root, registry: .plain(registry.address)) { store in
                let reference = registry.address + "/big/" + stage + ":latest"
                let error = await #expect(throws: (any Error).self) { try await store.pull(reference, auth: nil) }
                let text = "\(error.map { "\($0)" } ?? "")"
                print("a pull that fills the disk at \(stage): \(text)")
                #expect(text.contains("No space left on device"), "\(text)")
                // Which layer meets the full disk first, and whether in its download or its
                // unpacking, depends on timing; the error names it either way.
                #expect(text.contains("download interrupted") || text.contains("unpacking layer sha256:"), "\(text)")
                try await Self.checkNothingHalf(root, store)
                try Self.grow(root, toMegabytes: 96)
                let image = try await store.pull(reference, auth: nil)
                #expect(Self.randomFileSize(store, image) == Int64(size))
                #expect(try FileSystem.listDirectory(root + "/content/ingest").isEmpty)
            }
        }
    }

    @Test("a registry killed halfway through a blob fails the pull naming the registry; after its restart a retry completes")
    func registryKilled() async throws {
        let registry = try await DockerRegistry()
        defer { registry.stop() }
        let dir = try TemporaryDirectory("registrykilled")
        defer { dir.remove() }
        let size = 64 << 20
        try await Self.push(registry, dir, "big/killed", randomBytes: size)
        let root = dir.path + "/root"
        try await withStore(root: root, registry: .plain(registry.address, progressTimeout: .seconds(5))) { store in
            let reference = registry.address + "/big/killed:latest"
            // Killed as soon as some of the big layer has arrived and well before all of it has.
            let killer = Task {
                while !Task.isCancelled {
                    let ingest = (try? FileSystem.listDirectory(root + "/content/ingest")) ?? []
                    let arrived = ingest.map { (try? FileSystem.status(root + "/content/ingest/" + $0).size) ?? 0 }.max() ?? 0
                    if arrived > 4 << 20 {
                        registry.kill()
                        return arrived
                    }
                    try? await Task.sleep(for: .microseconds(200))
                }
                return 0
            }
            let error = await #expect(throws: (any Error).self) { try await store.pull(reference, auth: nil) }
            killer.cancel()
            let arrived = await killer.value
            #expect(arrived > 0 && arrived < size, "the registry was killed after \(arrived) bytes")
            let text = "\(error.map { "\($0)" } ?? "")"
            print("a pull whose registry died after \(arrived >> 20) MiB of \(size >> 20): \(text)")
            #expect(text.contains(registry.address), "\(text)")
            try await Self.checkNothingHalf(root, store)
            try await registry.start()
            let image = try await store.pull(reference, auth: nil)
            #expect(Self.randomFileSize(store, image) == Int64(size))
        }
    }
}
