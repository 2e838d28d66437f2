import CRIAPI
@testable import CorralDaemon
import ShimAPI
import TTRPC
import Testing

/// RunPodSandbox against fakes: what reaches the shim, and that a failure at any step leaves
/// nothing: no record, no files, no shim, and the pod's name free again.
@Suite("RunPodSandbox")
struct RunPodSandboxTests {
    @Test func aPodIsCreatedAndStartedInOneCallAndRecordedReady() async throws {
        let fixture = try await ServiceFixture()
        let id = try await fixture.runPod("web")
        let connection = await fixture.shims.connection(id)
        #expect(connection.methods == [SandboxMethods.createSandbox.name], "one call, with start")
        let request = try #require(connection.requests(SandboxMethods.createSandbox).first)
        #expect(request.start)
        #expect(request.sandboxID == id)
        #expect(request.hostname == "web")
        #expect(request.metadata.uid == "uid-web")
        #expect(request.cgroupParent == "/kubepods/pod-web")
        #expect(request.network.cniConfDir == "/etc/cni/test.d")
        #expect(request.network.maxNetworks == 2)
        #expect(request.runtimePath == "/usr/sbin/runc")
        let entry = try #require(fixture.store.sandboxes[id])
        #expect(entry.state == .sandboxReady)
        #expect(entry.ips == ["10.1.2.3"])
        #expect(entry.shimAddress == "unix:///fake/\(id).sock" && entry.shimPID > 0)
        #expect(entry.namespaces.network == "/pods/\(id)/ns/net")
        #expect(fixture.podFiles.state.withLock { $0.hosts[id] } == ["10.1.2.3"])
    }

    @Test func aShimThatPredatesStartInCreateGetsStartSandbox() async throws {
        let fixture = try await ServiceFixture()
        await fixture.shims.set(prepare: { connection in
            connection.answer(SandboxMethods.createSandbox, with: Corral_Shim_V1_CreateSandboxResponse())
            connection.answer(SandboxMethods.startSandbox) { request in FakeShimConnection.started(request.sandboxID) }
        })
        let id = try await fixture.runPod("old")
        #expect(await fixture.shims.connection(id).methods == [SandboxMethods.createSandbox.name, SandboxMethods.startSandbox.name])
        #expect(fixture.store.sandboxes[id]?.state == .sandboxReady)
    }

    /// Where a pod start can fail, and what of the shim each failure leaves to undo.
    enum Step: String, CaseIterable, Sendable {
        case podFiles, firstSave, shimStart, secondSave, createSandbox, hostsFile, lastSave
        var shimStarted: Bool { ![.podFiles, .firstSave, .shimStart].contains(self) }
    }

    @Test(arguments: Step.allCases)
    func aFailureAtAnyStepLeavesNothing(at step: Step) async throws {
        let fixture = try await ServiceFixture()
        switch step {
        case .podFiles: fixture.podFiles.state.withLock { $0.createFailure = .internalError("no space for the pod's files") }
        case .firstSave: fixture.store.failSave(number: 1)
        case .shimStart: await fixture.shims.set(startFailure: CRIError(.deadlineExceeded, "corral-shim start took too long"))
        case .secondSave: fixture.store.failSave(number: 2)
        case .createSandbox:
            await fixture.shims.set(prepare: { $0.fail(SandboxMethods.createSandbox, RPCError(.unknown, "CNI ADD failed")) })
        case .hostsFile: fixture.podFiles.state.withLock { $0.recordFailure = .internalError("no space for the hosts file") }
        case .lastSave: fixture.store.failSave(number: 3)
        }
        do {
            _ = try await fixture.runPod("flaky")
            Issue.record("the pod started although \(step) failed")
        } catch let error as CRIError {
            #expect(!error.message.isEmpty)
        }
        #expect(fixture.store.sandboxes.isEmpty, "a record is left")
        #expect(await fixture.registry.allSandboxes.isEmpty)
        #expect(fixture.podFiles.state.withLock { $0.created.isEmpty }, "files are left")
        let started = await fixture.shims.started
        #expect(started.count == 1 || step == .podFiles || step == .firstSave)
        if let id = started.first {
            #expect(await fixture.shims.deleted == [id], "corral-shim delete did not run")
            if step.shimStarted {
                let methods = await fixture.shims.connection(id).methods
                #expect(methods.contains(SandboxMethods.shutdownSandbox.name), "\(methods)")
                #expect(await fixture.shims.forgotten == [id])
            }
        }
        // The name is free again: the same pod starts once nothing fails.
        fixture.podFiles.state.withLock { s in
            s.createFailure = nil
            s.recordFailure = nil
        }
        await fixture.shims.set(startFailure: nil)
        await fixture.shims.set(prepare: FakeShimConnection.startsSandboxes)
        let id = try await fixture.runPod("flaky")
        #expect(fixture.store.sandboxes[id]?.state == .sandboxReady)
    }

    @Test func aSecondPodOfTheSameNameIsRefused() async throws {
        let fixture = try await ServiceFixture()
        let first = try await fixture.runPod("twin")
        do {
            _ = try await fixture.runPod("twin")
            Issue.record("two pods share a name")
        } catch let error as CRIError {
            #expect(error.code == .alreadyExists)
            #expect(error.message.contains(first))
        }
        #expect(await fixture.shims.started == [first])
    }
}
