import AdminAPI
import CRIAPI
import CorralSystem
import Foundation
import GRPCCore
import Testing

/// `corralctl pull` through corrald's admin pull, from a real registry: each layer's bytes as
/// they arrive, the image id at the end, and a failure that names the registry and the layer.
@Suite("pulls with progress", .serialized, .enabled(if: DaemonFixture.available && LocalRegistry.available))
struct PullProgressTests {
    @Test("the admin pull reports every layer to done and names the image; corralctl prints each layer and the id")
    func progressToTheEnd() async throws {
        let dir = "/tmp/corral-pullprogress-\(getpid())"
        let registry = try await LocalRegistry(dir: dir + "/registry")
        defer {
            registry.stop()
            FileSystem.removeTree(dir)
        }
        let archive = try await BlockingWork.run { Result { try ImageGarbageCollectionTests.archive(layoutIn: dir, name: "progress") } }.get()
        try await registry.push(layout: archive, to: "team/progress:v1")
        try await DaemonFixture.with(extraConfig: registry.daemonConfig) { daemon in
            let reference = registry.address + "/team/progress:v1"
            let messages = try await daemon.client.admin.pullImage(.with { $0.reference = reference }) { response in
                var messages: [Corral_Admin_V1_PullProgress] = []
                for try await message in response.messages { messages.append(message) }
                return messages
            }
            let last = try #require(messages.last)
            #expect(last.imageID.hasPrefix("sha256:") && last.repoTags == [reference], "\(last)")
            #expect(last.layers.count == 2)
            // The busybox layer came with the daemon's own test image: already in the store.
            #expect(last.layers.map(\.state) == [.exists, .done], "\(last.layers)")
            #expect(last.layers.allSatisfy { $0.received == $0.size && $0.size > 0 })
            let listed = try await daemon.client.images.listImages(.init()).images
            #expect(listed.contains { $0.id == last.imageID })

            // corralctl, in a pipe: a line per layer once it is in, then the id.
            _ = try await daemon.client.images.removeImage(.with { $0.image.image = last.imageID })
            let corralctl = DaemonFixture.binDir + "/corralctl"
            let pulled = try await Command.run(corralctl, arguments: ["--endpoint", "unix://" + daemon.socket, "pull", reference])
            #expect(pulled.status == .exited(0), "\(pulled.stderrText)")
            #expect(pulled.stdoutText == "Image is up to date for \(last.imageID)\n")
            let lines = pulled.stderrText.split(separator: "\n")
            #expect(lines.count == 2 && lines.contains { $0.contains("already in the store") } && lines.contains { $0.contains("done") },
                    "\(pulled.stderrText)")
            print("corralctl pull printed:\n\(pulled.stderrText)")

            let missing = try await Command.run(corralctl, arguments: ["--endpoint", "unix://" + daemon.socket, "pull",
                                                                      registry.address + "/team/absent:v1"])
            #expect(missing.status != .exited(0))
            #expect(missing.stderrText.contains(registry.address) && missing.stderrText.contains("not found"), "\(missing.stderrText)")
        }
    }
}
