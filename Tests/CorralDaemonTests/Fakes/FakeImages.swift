@testable import CorralDaemon
import CorralImages
import OCISpec
import Synchronization

/// One image, `busybox`, with the config and files a test gives it; the rootfs each container got.
final class FakeImages: ContainerImages, Sendable {
    struct State {
        var images: [String: Image] = [:]
        var files: [String: [UInt8]] = [:]
        var rootfs: Set<String> = []
        var prepareFails = false
    }

    struct Failure: Error, CustomStringConvertible {
        var description: String { "no room for the upper dir" }
    }

    let state = Mutex(State())

    init(config: ImageConfiguration) {
        let image = Image(id: "sha256:" + String(repeating: "ab", count: 32), repoTags: ["docker.io/library/busybox:latest"],
                          repoDigests: ["docker.io/library/busybox@sha256:" + String(repeating: "cd", count: 32)],
                          size: 1 << 20, config: config, chainIDs: ["sha256:" + String(repeating: "ef", count: 32)],
                          pinned: false, manifestDigest: "sha256:" + String(repeating: "cd", count: 32))
        state.withLock { $0.images = ["busybox": image, image.repoTags[0]: image] }
    }

    func image(_ reference: String) -> Image? { state.withLock { $0.images[reference] } }

    func prepareRootfs(containerID: String, image: Image) throws -> RootfsMount {
        let fails = state.withLock { s -> Bool in
            if !s.prepareFails { s.rootfs.insert(containerID) }
            return s.prepareFails
        }
        if fails { throw Failure() }
        return RootfsMount(type: "overlay", source: "overlay", options: ["lowerdir=/layers/\(containerID):/layers/base",
                                                                      "upperdir=/uppers/\(containerID)", "workdir=/work/\(containerID)"])
    }

    func readFile(_ path: String, in image: Image) -> [UInt8]? { state.withLock { $0.files[path] } }

    func removeRootfs(containerID: String) { state.withLock { _ = $0.rootfs.remove(containerID) } }

    func containersWithRootfs() -> [String] { state.withLock { Array($0.rootfs) } }
}
