import CRIAPI
@testable import CorralDaemon
import Testing

/// Calls kubelet may repeat after what they act on is gone succeed, as the CRI asks.
@Suite("idempotent calls")
struct IdempotenceTests {
    @Test func stoppingAContainerOrPodThatIsGoneSucceeds() async throws {
        let fixture = try await ServiceFixture()
        _ = try await fixture.service.stopContainer(Runtime_V1_StopContainerRequest.with { $0.containerID = "0123456789abcdef" })
        _ = try await fixture.service.stopPodSandbox(.with { $0.podSandboxID = "0123456789abcdef" })
        _ = try await fixture.service.removePodSandbox(.with { $0.podSandboxID = "0123456789abcdef" })
        // An empty id is no id at all.
        let error = await #expect(throws: CRIError.self) {
            _ = try await fixture.service.stopContainer(Runtime_V1_StopContainerRequest())
        }
        #expect(error?.code == .invalidArgument)
    }
}
