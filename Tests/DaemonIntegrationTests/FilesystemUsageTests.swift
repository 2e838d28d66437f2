import CRIAPI
import CorralSystem
import Foundation
import Testing

/// What kubelet's eviction manager reads: ImageFsInfo's image and container file systems, and
/// each container's writable layer, which must agree on where the layers are.
@Suite("file system usage", .serialized, .enabled(if: DaemonFixture.available))
struct FilesystemUsageTests {
    @Test("a container's writes count in its writable layer and in ImageFsInfo's container file systems")
    func writableLayers() async throws {
        try await DaemonFixture.with { daemon in
            let before = try await daemon.client.images.imageFsInfo(.init())
            let pod = try await daemon.runPod("disk")
            let id = try await daemon.runContainer(pod: pod, "writer", ["sh", "-c", "head -c 3145728 /dev/zero > /tmp/blob; sleep 3600"])
            var layer = Runtime_V1_FilesystemUsage()
            #expect(await eventually {
                layer = (try? await daemon.runtime.containerStats(.with { $0.containerID = id }).stats.writableLayer) ?? layer
                return layer.usedBytes.value >= 3 << 20
            }, "\(layer)")
            let after = try await daemon.client.images.imageFsInfo(.init())
            let images = try #require(after.imageFilesystems.first)
            let containers = try #require(after.containerFilesystems.first)
            // One file system here: the same mount point, so kubelet sees no split disk.
            #expect(containers.fsID.mountpoint == images.fsID.mountpoint && layer.fsID.mountpoint == images.fsID.mountpoint,
                    "\(containers.fsID) \(images.fsID) \(layer.fsID)")
            let grown = containers.usedBytes.value - (before.containerFilesystems.first?.usedBytes.value ?? 0)
            #expect(grown >= 3 << 20 && containers.inodesUsed.value >= layer.inodesUsed.value, "\(containers)")
            #expect(images.usedBytes.value > 0)
            // As du counts them (blocks, hard links once), within 1%: what kubelet sets against
            // the disk's capacity.
            let imagesDu = try Self.du([daemon.root + "/content/sha256", daemon.root + "/snapshots"])
            let uppers = try FileSystem.listDirectory(daemon.root + "/containers").map { daemon.root + "/containers/" + $0 + "/upper" }
            let containersDu = try Self.du(uppers)
            print("ImageFsInfo: images \(images.usedBytes.value) bytes (du \(imagesDu)), containers \(containers.usedBytes.value) (du \(containersDu))")
            #expect(Self.within1Percent(images.usedBytes.value, imagesDu), "images: \(images.usedBytes.value) against du's \(imagesDu)")
            #expect(Self.within1Percent(containers.usedBytes.value, containersDu), "containers: \(containers.usedBytes.value) against du's \(containersDu)")
            _ = try await daemon.runtime.stopPodSandbox(.with { $0.podSandboxID = pod })
            _ = try await daemon.runtime.removePodSandbox(.with { $0.podSandboxID = pod })
            let gone = try await daemon.client.images.imageFsInfo(.init())
            #expect(gone.containerFilesystems.first?.usedBytes.value == before.containerFilesystems.first?.usedBytes.value)
        }
    }

    /// du's total of `paths`, in bytes of allocated blocks.
    static func du(_ paths: [String]) throws -> UInt64 {
        let total = try TestImage.run("/usr/bin/du", ["-s", "-B1", "--total"] + paths).split(separator: "\n").last ?? ""
        return UInt64(total.split(separator: "\t").first ?? "") ?? 0
    }

    static func within1Percent(_ reported: UInt64, _ measured: UInt64) -> Bool {
        let difference = reported > measured ? reported - measured : measured - reported
        return difference * 100 <= measured
    }
}
