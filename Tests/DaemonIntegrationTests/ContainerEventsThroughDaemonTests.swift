import CRIAPI
import CRITestSupport
import Testing

/// GetContainerEvents over the real socket, as kubelet's evented PLEG uses it: a pod's life in
/// order, and a subscriber that reconnects after corrald stops (gracefully, or killed) hears the
/// new corrald's events.
@Suite("container events through corrald", .serialized, .enabled(if: DaemonFixture.available))
struct ContainerEventsThroughDaemonTests {
    @Test("a pod's life in events; after a restart and after a crash, a new subscription hears what follows")
    func eventsAcrossRestarts() async throws {
        try await DaemonFixture.with { daemon in
            let first = try EventWatcher(socket: daemon.socket)
            defer { first.close() }
            let pod = try await daemon.runPod("watched")
            let finisher = try await daemon.runContainer(pod: pod, "finisher", ["sh", "-c", "sleep 1; exit 3"])
            let exited = try await daemon.waitExited(finisher)
            _ = try await daemon.runtime.removeContainer(.with { $0.containerID = finisher })
            let expected = [
                EventLine(.containerCreatedEvent, pod, pod: .sandboxNotready),
                EventLine(.containerStartedEvent, pod, pod: .sandboxReady),
                EventLine(.containerCreatedEvent, finisher, pod: .sandboxReady, ["finisher": .containerCreated]),
                EventLine(.containerStartedEvent, finisher, pod: .sandboxReady, ["finisher": .containerRunning]),
                EventLine(.containerStoppedEvent, finisher, pod: .sandboxReady, ["finisher": .containerExited]),
                EventLine(.containerDeletedEvent, finisher, pod: .sandboxReady),
            ]
            let heard = try await first.wait { $0.count >= expected.count }
            #expect(heard.map(EventLine.init) == expected)
            // The exit as ContainerStatus tells it, and the pod's address, as kubelet caches them.
            let stopped = heard[4].containersStatuses.first
            #expect(stopped?.exitCode == 3 && stopped?.finishedAt == exited.finishedAt && stopped?.reason == "Error")
            #expect(heard[1].podSandboxStatus.network.ip.isEmpty == false)
            #expect(heard.allSatisfy { $0.podSandboxStatus.metadata.uid == "uid-watched-\(daemon.suffix)" })

            // SIGTERM: the open stream ends at once rather than holding the drain for its grace.
            let stopping = ContinuousClock.now
            #expect(await daemon.terminate(within: .seconds(8)) == 0)
            #expect(ContinuousClock.now - stopping < .seconds(5), "the event stream held corrald's shutdown")
            #expect(await first.end() == "OK")

            try await daemon.start()
            let second = try EventWatcher(socket: daemon.socket)
            defer { second.close() }
            let again = try await daemon.runContainer(pod: pod, "again", ["sleep", "3600"])
            let afterRestart = try await second.wait { events in events.contains { $0.containerID == again && $0.containerEventType == .containerStartedEvent } }
            #expect(afterRestart.map(EventLine.init) == [
                EventLine(.containerCreatedEvent, again, pod: .sandboxReady, ["again": .containerCreated]),
                EventLine(.containerStartedEvent, again, pod: .sandboxReady, ["again": .containerRunning]),
            ])
            #expect(first.events.count == expected.count, "the ended stream heard nothing more")

            // kill -9: the stream breaks; the next corrald serves a new one.
            await daemon.crash()
            #expect(await second.end() == "unavailable")
            try await daemon.start()
            let third = try EventWatcher(socket: daemon.socket)
            defer { third.close() }
            _ = try await daemon.runtime.stopPodSandbox(.with { $0.podSandboxID = pod })
            _ = try await daemon.runtime.removePodSandbox(.with { $0.podSandboxID = pod })
            let afterCrash = try await third.wait { $0.contains { $0.containerID == pod && $0.containerEventType == .containerDeletedEvent } }
            #expect(afterCrash.map(EventLine.init) == [
                EventLine(.containerStoppedEvent, again, pod: .sandboxReady, ["again": .containerExited]),
                EventLine(.containerStoppedEvent, pod, pod: .sandboxNotready, ["again": .containerExited]),
                EventLine(.containerDeletedEvent, again, pod: .sandboxNotready),
                EventLine(.containerDeletedEvent, pod, pod: .sandboxNotready),
            ])
        }
    }
}
