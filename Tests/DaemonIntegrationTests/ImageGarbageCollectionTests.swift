import CRIAPI
import CorralRegistry
import CorralSystem
import Foundation
import Testing

/// kubelet's image garbage collection, driven through the CRI as kubelet drives it: when the
/// image file system is past its threshold, the least recently used images that no container
/// uses and that are not pinned are removed one by one until it is under; what each removal
/// frees shows in ImageFsInfo and on the disk, and an image in use or pinned loses nothing.
@Suite("image garbage collection", .serialized, .enabled(if: DaemonFixture.available))
struct ImageGarbageCollectionTests {
    static let randomLayerSize = 4 << 20

    /// An OCI archive of the test image's busybox layer under an uncompressed layer holding
    /// `/random.bin` (random bytes, so no two images share it), named `docker.io/library/NAME:latest`.
    static func archive(_ daemon: DaemonFixture, name: String) throws -> String {
        try archive(layoutIn: daemon.dir, name: name)
    }

    /// The same, made under `dir`.
    static func archive(layoutIn dir: String, name: String) throws -> String {
        let base = try TestImage.prepare()
        let work = dir + "/gc-" + name
        let blobs = work + "/blobs/sha256"
        try FileSystem.makeDirectories(blobs, mode: 0o755)
        func json(_ path: String) throws -> [String: Any] {
            try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as? [String: Any] ?? [:]
        }
        func blob(_ digest: String) -> String { base + "/blobs/sha256/" + digest.dropFirst("sha256:".count) }
        let index = try json(base + "/index.json")
        let manifestDigest = try #require((index["manifests"] as? [[String: Any]])?.first?["digest"] as? String)
        let baseManifest = try json(blob(manifestDigest))
        let busyboxLayer = try #require((baseManifest["layers"] as? [[String: Any]])?.first)
        let baseConfig = try json(blob(try #require((baseManifest["config"] as? [String: Any])?["digest"] as? String)))
        let busyboxDiffID = try #require(((baseConfig["rootfs"] as? [String: Any])?["diff_ids"] as? [String])?.first)
        _ = try TestImage.run("/bin/cp", [blob(try #require(busyboxLayer["digest"] as? String)), blobs + "/"])

        let files = work + "/files"
        try FileSystem.makeDirectories(files, mode: 0o755)
        _ = try TestImage.run("/bin/sh", ["-c", "head -c \(randomLayerSize) /dev/urandom > \(files)/random.bin"])
        _ = try TestImage.run("/bin/tar", ["--numeric-owner", "--owner=0", "--group=0", "-C", files, "-cf", work + "/layer.tar", "random.bin"])
        let layer = try Data(contentsOf: URL(fileURLWithPath: work + "/layer.tar"))
        let layerDigest = try store(layer, in: blobs)
        FileSystem.removeTree(files)
        FileSystem.remove(work + "/layer.tar")

        let config = try JSONSerialization.data(withJSONObject: [
            "architecture": "amd64", "os": "linux", "config": ["Cmd": ["sh"], "Env": ["PATH=/bin"]],
            "rootfs": ["type": "layers", "diff_ids": [busyboxDiffID, layerDigest]],
        ])
        let configDigest = try store(config, in: blobs)
        let manifest = try JSONSerialization.data(withJSONObject: [
            "schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "config": ["mediaType": "application/vnd.oci.image.config.v1+json", "digest": configDigest, "size": config.count],
            "layers": [busyboxLayer, ["mediaType": "application/vnd.oci.image.layer.v1.tar", "digest": layerDigest, "size": layer.count]],
        ])
        let digest = try store(manifest, in: blobs)
        let newIndex = try JSONSerialization.data(withJSONObject: [
            "schemaVersion": 2,
            "manifests": [["mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": digest, "size": manifest.count,
                           "annotations": ["org.opencontainers.image.ref.name": "docker.io/library/\(name):latest"]]],
        ])
        try newIndex.write(to: URL(fileURLWithPath: work + "/index.json"))
        try #"{"imageLayoutVersion":"1.0.0"}"#.write(toFile: work + "/oci-layout", atomically: true, encoding: .utf8)
        let archive = work + ".tar"
        _ = try TestImage.run("/bin/tar", ["-C", work, "-cf", archive, "."])
        FileSystem.removeTree(work)
        return archive
    }

    static func store(_ data: Data, in blobs: String) throws -> String {
        let digest = Digest.of(Array(data))
        try data.write(to: URL(fileURLWithPath: blobs + "/" + digest.hex))
        return digest.description
    }

    static func imageBytes(_ daemon: DaemonFixture) async throws -> UInt64 {
        try await daemon.client.images.imageFsInfo(.init()).imageFilesystems.first?.usedBytes.value ?? 0
    }

    static func du(_ daemon: DaemonFixture) throws -> UInt64 {
        try FilesystemUsageTests.du([daemon.root + "/content/sha256", daemon.root + "/snapshots"])
    }

    @Test("past the threshold, removing least recently used images frees their bytes; in use and pinned ones stay whole")
    func kubeletsPattern() async throws {
        try await DaemonFixture.with(extraConfig: "\n[images]\npinned = [\"docker.io/library/gc-1:latest\"]\n") { daemon in
            let corralctl = DaemonFixture.binDir + "/corralctl"
            // Imported oldest first: kubelet's last-used order.
            let names = (1...4).map { "gc-\($0)" }
            for name in names {
                let archive = try await BlockingWork.run { Result { try Self.archive(daemon, name: name) } }.get()
                let imported = try await Command.run(corralctl, arguments: ["--endpoint", "unix://" + daemon.socket, "images", "import", archive])
                #expect(imported.status == .exited(0), "\(imported.stderrText)")
            }
            let listed = try await daemon.client.images.listImages(.init()).images
            let byName = Dictionary(uniqueKeysWithValues: listed.compactMap { image in image.repoTags.first.map { ($0, image) } })
            #expect(byName["docker.io/library/gc-1:latest"]?.pinned == true, "\(listed.map(\.repoTags))")

            // gc-4 in use by a running container.
            let pod = try await daemon.runPod("user")
            var config = daemon.containerConfig("user", ["sleep", "3600"])
            config.image.image = "docker.io/library/gc-4:latest"
            let user = try await daemon.runtime.createContainer(.with {
                $0.podSandboxID = pod; $0.config = config; $0.sandboxConfig = daemon.podConfig("user")
            }).containerID
            _ = try await daemon.runtime.startContainer(.with { $0.containerID = user })
            let checksum = { try await daemon.runtime.execSync(.with { $0.containerID = user; $0.cmd = ["md5sum", "/random.bin"]; $0.timeout = 10 }).stdout }
            let before = try await checksum()

            // kubelet: the images' usage is over the high threshold by 6 MiB; free until under.
            let start = try await Self.imageBytes(daemon)
            let startDu = try Self.du(daemon)
            let threshold = start - 6 << 20
            let inUse = Set(try await daemon.runtime.listContainers(.init()).containers.map(\.imageRef))
            var removed: [String] = []
            for name in names {
                guard try await Self.imageBytes(daemon) > threshold else { break }
                guard let image = byName["docker.io/library/\(name):latest"], !image.pinned, !inUse.contains(image.id) else { continue }
                _ = try await daemon.client.images.removeImage(.with { $0.image.image = image.id })
                removed.append(name)
            }
            let end = try await Self.imageBytes(daemon)
            let freed = start - end
            let freedDu = startDu - (try Self.du(daemon))
            print("image GC: removed \(removed), freed \(freed) bytes by ImageFsInfo, \(freedDu) by du")
            // gc-1 pinned and gc-4 in use are passed over; one image of 4 MiB, its blob and its
            // snapshot, brings the store under the threshold.
            #expect(removed == ["gc-2"])
            #expect(end <= threshold)
            #expect(freed >= UInt64(2 * Self.randomLayerSize), "freed \(freed)")
            let difference = freed > freedDu ? freed - freedDu : freedDu - freed
            #expect(difference * 100 <= freedDu, "ImageFsInfo says \(freed) freed, du \(freedDu)")

            let remaining = Set(try await daemon.client.images.listImages(.init()).images.flatMap(\.repoTags))
            #expect(remaining.isSuperset(of: ["docker.io/library/gc-1:latest", "docker.io/library/gc-3:latest", "docker.io/library/gc-4:latest"]))
            #expect(try await checksum() == before)

            // Removed from under its container, an image's layers stay while the container
            // runs, and go with it.
            let inUseImage = try #require(byName["docker.io/library/gc-4:latest"])
            _ = try await daemon.client.images.removeImage(.with { $0.image.image = inUseImage.id })
            #expect(try await checksum() == before)
            let whileRunning = try await Self.imageBytes(daemon)
            _ = try await daemon.runtime.stopPodSandbox(.with { $0.podSandboxID = pod })
            _ = try await daemon.runtime.removePodSandbox(.with { $0.podSandboxID = pod })
            let afterContainer = try await Self.imageBytes(daemon)
            // Its blob went with the image; its snapshot now.
            #expect(whileRunning - afterContainer >= UInt64(Self.randomLayerSize), "\(whileRunning) → \(afterContainer)")
            #expect(Self.within(afterContainer, try Self.du(daemon)))
        }
    }

    static func within(_ reported: UInt64, _ measured: UInt64) -> Bool { FilesystemUsageTests.within1Percent(reported, measured) }
}
