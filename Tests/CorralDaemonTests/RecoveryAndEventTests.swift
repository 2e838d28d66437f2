import CRIAPI
@testable import CorralDaemon
import CorralSystem
import ShimAPI
import TTRPC
import Testing

/// What a restarted daemon makes of its store (`recover`), and how the shims' events move the
/// records, against fakes.
@Suite("recovery and shim events")
struct RecoveryAndEventTests {
    static func pod(_ id: String, pid: Int32, state: Runtime_V1_PodSandboxState = .sandboxReady) -> SandboxEntry {
        var entry = SandboxEntry(id: id, config: .with { $0.metadata = .with { $0.name = id; $0.uid = id } }, nameKey: id,
                                 runtimeHandler: "runc", createdAt: 1)
        entry.state = state
        entry.shimPID = pid
        entry.shimAddress = "unix:///fake/\(id).sock"
        return entry
    }

    static func container(_ id: String, in pod: String, state: Runtime_V1_ContainerState = .containerRunning) -> ContainerEntry {
        var entry = ContainerEntry(id: id, sandboxID: pod, config: .with { $0.metadata = .with { $0.name = id } }, nameKey: id,
                                   image: "busybox", imageRef: "busybox", imageID: "sha256:x", logPath: "", bundle: "/b/" + id,
                                   createdAt: 1)
        entry.state = state
        entry.startedAt = 2
        return entry
    }

    @Test func podsWhoseShimIsGoneBecomeNotReadyWithTheirContainersExited() async throws {
        let store = FakeStore(sandboxes: [Self.pod("gone", pid: 41)], containers: [Self.container("c1", in: "gone")])
        let fixture = try await ServiceFixture(store: store)
        await fixture.service.recover()
        #expect(store.sandboxes["gone"]?.state == .sandboxNotready)
        #expect(store.sandboxes["gone"]?.stopped == true)
        let container = try #require(store.containers["c1"])
        #expect(container.state == .containerExited && container.exitCode == 255 && container.reason == "Unknown")
        #expect(await fixture.shims.deleted == ["gone"])
        #expect(fixture.podFiles.state.withLock { $0.unmounted } == ["gone"])
    }

    /// A daemon killed between making a pod's files (or a container's layer) and recording the
    /// pod (or container) leaves them to nobody: the restart removes them, and only them.
    @Test func filesAndLayersOfWhatWasNeverRecordedAreRemoved() async throws {
        let store = FakeStore(sandboxes: [Self.pod("kept", pid: 43)], containers: [Self.container("kept-c", in: "kept")])
        let fixture = try await ServiceFixture(store: store)
        fixture.shims.set(running: [43])
        fixture.podFiles.state.withLock { $0.created = ["kept", "half-made"] }
        fixture.images.state.withLock { $0.rootfs = ["kept-c", "half-made-c"] }
        let bundles = fixture.service.settings.containersDir
        for id in ["kept-c", "half-made-c"] {
            try FileSystem.makeDirectories(bundles + "/" + id + "/rootfs")
            try FileSystem.writeAtomically(bundles + "/" + id + "/config.json", Array("{}".utf8), mode: 0o600, durable: false)
        }
        await fixture.service.recover()
        #expect(fixture.podFiles.state.withLock { ($0.created, $0.removed) } == (["kept"], ["half-made"]))
        #expect(fixture.images.state.withLock { $0.rootfs } == ["kept-c"])
        #expect(try FileSystem.listDirectory(bundles) == ["kept-c"])
    }

    @Test func exitsThatHappenedMeanwhileAreReadFromTheLiveShim() async throws {
        let store = FakeStore(sandboxes: [Self.pod("alive", pid: 42)],
                              containers: [Self.container("finished", in: "alive"), Self.container("running", in: "alive"),
                                           Self.container("lost", in: "alive")])
        let fixture = try await ServiceFixture(store: store)
        fixture.shims.set(running: [42])
        await fixture.shims.set(prepare: { connection in
            connection.answer(TaskMethods.state) { request in
                .with {
                    $0.id = request.id
                    $0.status = request.id == "finished" ? .stopped : .running
                    $0.exitStatus = request.id == "finished" ? 3 : 0
                }
            }
        })
        // The shim no longer knows one of them.
        let connection = await fixture.shims.connection("alive")
        connection.answer(TaskMethods.state) { request in
            .with { $0.id = request.id; $0.status = request.id == "finished" ? .stopped : .running; $0.exitStatus = 3 }
        }
        await fixture.service.recover()
        #expect(store.sandboxes["alive"]?.state == .sandboxReady)
        #expect(store.containers["finished"]?.state == .containerExited)
        #expect(store.containers["finished"]?.exitCode == 3)
        #expect(store.containers["running"]?.state == .containerRunning)
        #expect(await fixture.shims.deleted.isEmpty)
    }

    @Test func aTaskTheShimDoesNotKnowHasExitedUnknown() async throws {
        let store = FakeStore(sandboxes: [Self.pod("alive", pid: 43)], containers: [Self.container("lost", in: "alive")])
        let fixture = try await ServiceFixture(store: store)
        fixture.shims.set(running: [43])
        await fixture.shims.set(prepare: { $0.fail(TaskMethods.state, RPCError(.notFound, "task lost not found")) })
        await fixture.service.recover()
        let lost = try #require(store.containers["lost"])
        #expect(lost.state == .containerExited && lost.exitCode == 255)
        #expect(lost.message == "the task was not found in the pod's shim")
    }

    @Test func aLiveShimThatDoesNotAnswerIsLeftAlone() async throws {
        let store = FakeStore(sandboxes: [Self.pod("busy", pid: 44)], containers: [Self.container("c", in: "busy")])
        let fixture = try await ServiceFixture(store: store)
        fixture.shims.set(running: [44])
        await fixture.shims.set(connectFailure: CRIError(.deadlineExceeded, "connecting took over 2s"))
        await fixture.service.recover()
        #expect(store.sandboxes["busy"]?.state == .sandboxReady)
        #expect(store.containers["c"]?.state == .containerRunning)
        #expect(await fixture.shims.deleted.isEmpty)
    }

    @Test func aContainersExitAndOOMEventsMoveItsRecordAndAnExecsDoNot() async throws {
        let store = FakeStore(sandboxes: [Self.pod("p", pid: 45)],
                              containers: [Self.container("c", in: "p"), Self.container("hog", in: "p")])
        let fixture = try await ServiceFixture(store: store)
        await fixture.service.apply(.with { $0.taskExit = .with { $0.containerID = "c"; $0.execID = "probe"; $0.exitStatus = 1 } },
                                    from: "p")
        #expect(store.containers["c"]?.state == .containerRunning, "an exec's exit is not the container's")
        await fixture.service.apply(.with { $0.taskExit = .with { $0.containerID = "c"; $0.exitStatus = 7 } }, from: "p")
        #expect(store.containers["c"]?.state == .containerExited)
        #expect(store.containers["c"]?.exitCode == 7 && store.containers["c"]?.reason == "Error")
        await fixture.service.apply(.with { $0.taskOom = .with { $0.containerID = "hog" } }, from: "p")
        await fixture.service.apply(.with { $0.taskExit = .with { $0.containerID = "hog"; $0.exitStatus = 137; $0.oomKilled = true } },
                                    from: "p")
        #expect(store.containers["hog"]?.reason == "OOMKilled" && store.containers["hog"]?.exitCode == 137)
    }

    @Test func aLostEventStreamOfADeadShimMarksThePodLost() async throws {
        let store = FakeStore(sandboxes: [Self.pod("p", pid: 46)], containers: [Self.container("c", in: "p")])
        let fixture = try await ServiceFixture(store: store)
        await fixture.service.shimStreamEnded("p")
        #expect(store.sandboxes["p"]?.state == .sandboxNotready)
        #expect(store.containers["c"]?.state == .containerExited)

        // A live shim is connected to again instead.
        let live = FakeStore(sandboxes: [Self.pod("q", pid: 47)], containers: [Self.container("d", in: "q")])
        let again = try await ServiceFixture(store: live)
        again.shims.set(running: [47])
        await again.service.shimStreamEnded("q")
        #expect(live.sandboxes["q"]?.state == .sandboxReady)
        #expect(await again.shims.connects == ["q"])
    }
}
