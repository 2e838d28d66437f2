import CRIAPI
@testable import CorralDaemon
import CorralSystem
import Foundation
import OCISpec
import Testing

/// CreateContainer against fakes: the bundle it writes is the spec made from the request, the
/// image and the pod; a failure leaves no bundle, rootfs, record or name.
@Suite("CreateContainer")
struct CreateContainerTests {
    func spec(_ fixture: ServiceFixture, _ id: String) throws -> Spec {
        let data = Data(try FileSystem.readFile(fixture.service.settings.containersDir + "/" + id + "/config.json"))
        return try JSONDecoder().decode(Spec.self, from: data)
    }

    @Test func theBundleHoldsTheImageTheRequestAndThePod() async throws {
        let fixture = try await ServiceFixture()
        let pod = try await fixture.runPod("web")
        var config = fixture.containerConfig("app")
        config.args = ["--port", "8080"]
        config.envs = [.with { $0.key = "FROM_REQUEST"; $0.value = "2" }, .with { $0.key = "FROM_IMAGE"; $0.value = "3" }]
        let id = try await fixture.service.createContainer(.with {
            $0.podSandboxID = pod
            $0.config = config
            $0.sandboxConfig = fixture.podConfig("web")
        }).containerID
        let spec = try spec(fixture, id)
        // The image's entrypoint with the request's args in place of its cmd, in its working dir.
        #expect(spec.process?.args == ["/bin/entry", "--port", "8080"])
        #expect(spec.process?.cwd == "/srv")
        let env = spec.process?.env ?? []
        #expect(env.contains("FROM_REQUEST=2") && env.contains("FROM_IMAGE=3") && !env.contains("FROM_IMAGE=1"), "\(env)")
        // The pod's namespaces and files, and a cgroup under the pod's parent.
        let namespaces = spec.linux?.namespaces ?? []
        #expect(namespaces.contains { $0.type == .network && $0.path == "/pods/\(pod)/ns/net" }, "\(namespaces)")
        #expect(namespaces.contains { $0.type == .ipc && $0.path == "/pods/\(pod)/ns/ipc" })
        #expect(spec.linux?.cgroupsPath == "/kubepods/pod-web/" + id)
        let mounts = spec.mounts ?? []
        let files = fixture.podFiles.mounts(pod: pod)
        for (destination, source) in [("/etc/hosts", files.hosts), ("/etc/resolv.conf", files.resolvConf),
                                      ("/etc/hostname", files.hostname)] {
            #expect(mounts.contains { $0.destination == destination && $0.source == source }, "\(destination)")
        }
        // The record: the rootfs the image store prepared, the image's stop signal (SIGINT).
        let entry = try #require(fixture.store.containers[id])
        #expect(entry.rootfsOptions == ["lowerdir=/layers/\(id):/layers/base", "upperdir=/uppers/\(id)", "workdir=/work/\(id)"])
        #expect(entry.stopSignal == 2)
        #expect(entry.logPath == fixture.podConfig("web").logDirectory + "/app.log")
        #expect(fixture.images.state.withLock { $0.rootfs } == [id])
    }

    @Test func anUnknownImageIsNotFoundAndLeavesNothing() async throws {
        let fixture = try await ServiceFixture()
        let pod = try await fixture.runPod("web")
        var config = fixture.containerConfig("app")
        config.image.image = "nginx"
        await #expect(throws: CRIError.self) {
            _ = try await fixture.service.createContainer(.with { $0.podSandboxID = pod; $0.config = config })
        }
        #expect(fixture.store.containers.isEmpty)
        #expect(try FileSystem.listDirectory(fixture.service.settings.containersDir).isEmpty)
    }

    @Test func aRootfsThatCannotBePreparedLeavesNoBundleAndFreesTheName() async throws {
        let fixture = try await ServiceFixture()
        let pod = try await fixture.runPod("web")
        fixture.images.state.withLock { $0.prepareFails = true }
        let config = fixture.containerConfig("app")
        let error = await #expect(throws: CRIError.self) {
            _ = try await fixture.service.createContainer(.with { $0.podSandboxID = pod; $0.config = config })
        }
        #expect(error?.code == .internalError && error?.message.contains("no room for the upper dir") == true, "\(String(describing: error))")
        #expect(fixture.store.containers.isEmpty)
        #expect(try FileSystem.listDirectory(fixture.service.settings.containersDir).isEmpty)
        fixture.images.state.withLock { $0.prepareFails = false }
        _ = try await fixture.service.createContainer(.with { $0.podSandboxID = pod; $0.config = fixture.containerConfig("app") })
        #expect(fixture.store.containers.count == 1)
    }

    @Test func aPodThatIsNotReadyTakesNoContainer() async throws {
        let fixture = try await ServiceFixture()
        let pod = try await fixture.runPod("web")
        try await fixture.registry.update(sandbox: pod) { $0.state = .sandboxNotready }
        let config = fixture.containerConfig("app")
        let error = await #expect(throws: CRIError.self) {
            _ = try await fixture.service.createContainer(.with { $0.podSandboxID = pod; $0.config = config })
        }
        #expect(error?.code == .failedPrecondition)
        #expect(fixture.images.state.withLock { $0.rootfs }.isEmpty)
    }
}
