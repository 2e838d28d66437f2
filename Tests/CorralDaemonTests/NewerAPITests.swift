import CRIAPI
@testable import CorralDaemon
import Testing

/// The calls and fields cri-api added after v1.26: each either does what it says or answers
/// with a code that names what is missing.
@Suite("CRI calls since v1.26")
struct NewerAPITests {
    @Test func inPlacePodResizeIsCheckedAndAcknowledged() async throws {
        let fixture = try await ServiceFixture()
        let pod = try await fixture.runPod("web")
        _ = try await fixture.service.updatePodSandboxResources(.with {
            $0.podSandboxID = pod
            $0.resources.memoryLimitInBytes = 256 << 20
            $0.resources.cpuQuota = -1
        })
        let negative = await #expect(throws: CRIError.self) {
            _ = try await fixture.service.updatePodSandboxResources(.with {
                $0.podSandboxID = pod
                $0.overhead.cpuShares = -2
            })
        }
        #expect(negative?.code == .invalidArgument && negative?.message.contains("overhead.cpu_shares") == true,
                "\(String(describing: negative))")
        let unknown = await #expect(throws: CRIError.self) {
            _ = try await fixture.service.updatePodSandboxResources(.with { $0.podSandboxID = "0123456789abcdef" })
        }
        #expect(unknown?.code == .notFound)
        _ = try await fixture.service.stopPodSandbox(.with { $0.podSandboxID = pod })
        let stopped = await #expect(throws: CRIError.self) {
            _ = try await fixture.service.updatePodSandboxResources(.with { $0.podSandboxID = pod })
        }
        #expect(stopped?.code == .failedPrecondition)
    }

    @Test func anImageVolumeIsUnimplementedAndNamed() async throws {
        let fixture = try await ServiceFixture()
        let pod = try await fixture.runPod("web")
        var config = fixture.containerConfig("app")
        config.mounts = [.with { $0.containerPath = "/models"; $0.image.image = "registry.test/models:1" }]
        let error = await #expect(throws: CRIError.self) {
            _ = try await fixture.service.createContainer(.with { $0.podSandboxID = pod; $0.config = config })
        }
        #expect(error?.code == .unimplemented && error?.message.contains("image volumes") == true
                && error?.message.contains("/models") == true, "\(String(describing: error))")
        #expect(fixture.store.containers.isEmpty)
    }
}
