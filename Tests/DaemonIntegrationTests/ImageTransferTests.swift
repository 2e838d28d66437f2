import AdminAPI
import CRIAPI
import CorralSystem
import Foundation
import GRPCCore
import Testing

/// `corralctl images export` and `import` against a running corrald: an archive skopeo reads,
/// which brings the image back, names and all, after it was removed, and runs a container.
@Suite("image import and export", .enabled(if: DaemonFixture.available))
struct ImageTransferTests {
    @Test("export, remove, import: the same image id and tag, and a container runs from it")
    func roundTrip() async throws {
        try await DaemonFixture.with { daemon in
            let corralctl = DaemonFixture.binDir + "/corralctl"
            let endpoint = "unix://" + daemon.socket
            let archive = daemon.dir + "/busybox.tar"
            let before = try #require(try await daemon.client.images.listImages(.init()).images.first)

            let exported = try await Command.run(corralctl, arguments: ["--endpoint", endpoint, "images", "export", "busybox", archive])
            #expect(exported.status == .exited(0), "\(exported.stderrText)")
            #expect(FileSystem.exists(archive))
            let members = try await Command.run("/bin/tar", arguments: ["-tf", archive]).stdoutText
            #expect(members.contains("oci-layout") && members.contains("index.json") && members.contains("blobs/sha256/"))
            if FileSystem.exists("/usr/bin/skopeo") {
                let inspected = try await Command.run("/usr/bin/skopeo", arguments: ["inspect", "--raw", "oci-archive:" + archive])
                #expect(inspected.status == .exited(0), "skopeo cannot read the archive: \(inspected.stderrText)")
            }

            _ = try await daemon.client.images.removeImage(.with { $0.image.image = before.id })
            #expect(try await daemon.client.images.listImages(.init()).images.isEmpty)

            let imported = try await Command.run(corralctl, arguments: ["--endpoint", endpoint, "images", "import", archive])
            #expect(imported.status == .exited(0), "\(imported.stderrText)")
            #expect(imported.stdoutText.contains("docker.io/library/busybox"))
            let after = try #require(try await daemon.client.images.listImages(.init()).images.first)
            #expect(after.id == before.id)
            #expect(after.repoTags == before.repoTags)

            let pod = try await daemon.runPod("imported")
            let ctr = try await daemon.runContainer(pod: pod, "app", ["echo", "from an imported image"])
            #expect(try await daemon.waitExited(ctr).exitCode == 0)
        }
    }

    @Test("bad paths and unknown images get the right codes and leave no file")
    func badInput() async throws {
        try await DaemonFixture.with { daemon in
            let admin = Corral_Admin_V1_Images.Client(wrapping: daemon.client.grpc)
            let archive = daemon.dir + "/out.tar"
            func code(_ body: () async throws -> Void) async -> (RPCError.Code?, String) {
                do { try await body(); return (nil, "") } catch let error as RPCError { return (error.code, error.message) } catch {
                    return (.unknown, "\(error)")
                }
            }
            var (failure, message) = await code { _ = try await admin.exportImages(.with { $0.references = ["nosuch:1"]; $0.path = archive }) }
            #expect(failure == .notFound && message.contains("nosuch"))
            #expect(!FileSystem.exists(archive))
            #expect(try FileSystem.listDirectory(daemon.dir).allSatisfy { !$0.contains("corral-export") })
            (failure, message) = await code { _ = try await admin.exportImages(.with { $0.references = ["busybox"]; $0.path = "out.tar" }) }
            #expect(failure == .invalidArgument && message.contains("path"))
            (failure, message) = await code { _ = try await admin.exportImages(.with { $0.path = archive }) }
            #expect(failure == .invalidArgument && message.contains("references"))
            try "x".write(toFile: archive, atomically: true, encoding: .utf8)
            (failure, message) = await code { _ = try await admin.exportImages(.with { $0.references = ["busybox"]; $0.path = archive }) }
            #expect(failure == .alreadyExists && message.contains(archive))
            (failure, message) = await code { _ = try await admin.importImages(.with { $0.path = daemon.dir + "/none.tar" }) }
            #expect(failure == .notFound && message.contains("none.tar"))
            (failure, message) = await code { _ = try await admin.importImages(.with { $0.path = archive }) }
            #expect(failure == .invalidArgument && message.contains("path"), "\(message)")
            #expect(try await daemon.client.images.listImages(.init()).images.count == 1)
        }
    }
}
