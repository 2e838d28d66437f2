import CRIAPI
import CRITestSupport
@testable import CorralDaemon
import Testing

/// GetContainerEvents against fakes: every change of a pod's life, in order, with the statuses
/// kubelet's evented PLEG caches; and a subscriber that stops reading costs only its own stream.
@Suite("container events", .timeLimit(.minutes(1)))
struct ContainerEventTests {
    typealias Event = Runtime_V1_ContainerEventResponse

    static func take(_ count: Int, from stream: ContainerEventBroadcaster.Stream) async throws -> [Event] {
        var events: [Event] = []
        for try await event in stream {
            events.append(event)
            if events.count == count { break }
        }
        return events
    }

    @Test func aPodsLifeIsAnnouncedEventByEventWithItsStatuses() async throws {
        let fixture = try await ServiceFixture()
        let stream = fixture.registry.events.subscribe()
        let service = fixture.service

        let pod = try await fixture.runPod("web")
        let app = try await fixture.runContainer(in: pod, fixture.containerConfig("app"))
        await service.apply(.with { $0.taskExit = .with { $0.containerID = app; $0.exitStatus = 3 } }, from: pod)
        _ = try await service.removeContainer(.with { $0.containerID = app })
        let sidecar = try await fixture.runContainer(in: pod, fixture.containerConfig("sidecar"))
        _ = try await service.stopPodSandbox(.with { $0.podSandboxID = pod })
        _ = try await service.removePodSandbox(.with { $0.podSandboxID = pod })

        let expected = [
            EventLine(.containerCreatedEvent, pod, pod: .sandboxNotready),
            EventLine(.containerStartedEvent, pod, pod: .sandboxReady),
            EventLine(.containerCreatedEvent, app, pod: .sandboxReady, ["app": .containerCreated]),
            EventLine(.containerStartedEvent, app, pod: .sandboxReady, ["app": .containerRunning]),
            EventLine(.containerStoppedEvent, app, pod: .sandboxReady, ["app": .containerExited]),
            EventLine(.containerDeletedEvent, app, pod: .sandboxReady),
            EventLine(.containerCreatedEvent, sidecar, pod: .sandboxReady, ["sidecar": .containerCreated]),
            EventLine(.containerStartedEvent, sidecar, pod: .sandboxReady, ["sidecar": .containerRunning]),
            // StopPodSandbox kills what runs, then stops the pod.
            EventLine(.containerStoppedEvent, sidecar, pod: .sandboxReady, ["sidecar": .containerExited]),
            EventLine(.containerStoppedEvent, pod, pod: .sandboxNotready, ["sidecar": .containerExited]),
            // RemovePodSandbox removes the containers, then the pod, whose last status goes with it.
            EventLine(.containerDeletedEvent, sidecar, pod: .sandboxNotready),
            EventLine(.containerDeletedEvent, pod, pod: .sandboxNotready),
        ]
        let events = try await Self.take(expected.count, from: stream)
        #expect(events.map(EventLine.init) == expected)

        // The statuses are those the status calls report, stamped in nanoseconds, in order.
        let stopped = events[4]
        #expect(stopped.containersStatuses.first?.exitCode == 3 && stopped.containersStatuses.first?.reason == "Error")
        #expect(stopped.containersStatuses.first?.id == app && stopped.containersStatuses.first?.finishedAt ?? 0 > 0)
        #expect(events[1].podSandboxStatus.network.ip == "10.1.2.3")
        #expect(events[1].podSandboxStatus.metadata.uid == "uid-web")
        #expect(events.allSatisfy { $0.createdAt > 1_600_000_000_000_000_000 })
        #expect(zip(events, events.dropFirst()).allSatisfy { $0.createdAt <= $1.createdAt })
    }

    @Test func aSubscriberThatStopsReadingIsDroppedAndHoldsUpNoCall() async throws {
        let fixture = try await ServiceFixture()
        let stuck = fixture.registry.events.subscribe(buffer: 3)
        let reader = fixture.registry.events.subscribe()
        for name in ["a", "b", "c"] {
            let pod = try await fixture.runPod(name)
            _ = try await fixture.runContainer(in: pod, fixture.containerConfig("app"))
            _ = try await fixture.service.removePodSandbox(.with { $0.podSandboxID = pod })
        }
        // Every call returned, although one subscriber read nothing; it alone was dropped.
        #expect(fixture.registry.events.subscriberCount == 1)
        var kept: [Event] = []
        let failure = await #expect(throws: CRIError.self) {
            for try await event in stuck { kept.append(event) }
        }
        #expect(kept.count == 3)
        #expect(failure?.code == .resourceExhausted, "\(String(describing: failure))")
        // Per pod: created, started (pod); created, started, stopped (container); stopped (pod); deleted, deleted.
        let all = try await Self.take(3 * 8, from: reader)
        #expect(all.count == 3 * 8)
        #expect(all.last.map(EventLine.init)?.type == .containerDeletedEvent)
    }

    @Test func exitsFoundBeforeAnyoneSubscribesAreHeldForTheFirstSubscriber() async throws {
        let store = FakeStore(sandboxes: [RecoveryAndEventTests.pod("gone", pid: 51)],
                              containers: [RecoveryAndEventTests.container("c1", in: "gone")])
        let fixture = try await ServiceFixture(store: store)
        await fixture.service.recover()
        let events = try await Self.take(2, from: fixture.registry.events.subscribe())
        #expect(events.map(EventLine.init) == [
            EventLine(.containerStoppedEvent, "c1", pod: .sandboxReady, ["c1": .containerExited]),
            EventLine(.containerStoppedEvent, "gone", pod: .sandboxNotready, ["c1": .containerExited]),
        ])
    }

    @Test func closingEndsEveryStreamAndRefusesNewOnes() async throws {
        let fixture = try await ServiceFixture()
        let stream = fixture.registry.events.subscribe()
        fixture.registry.events.close()
        var count = 0
        for try await _ in stream { count += 1 }
        #expect(count == 0)
        let refused = await #expect(throws: CRIError.self) {
            for try await _ in fixture.registry.events.subscribe() {}
        }
        #expect(refused?.code == .unavailable)
        _ = try await fixture.runPod("after")
    }
}
