import CRIAPI
import Foundation
import GRPCCore
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The daemon can die and come back without a pod noticing; a shim that dies or hangs costs
/// only its own pod.
@Suite("CRI recovery and isolation", .serialized, .enabled(if: DaemonFixture.available))
struct RecoveryTests {
    @Test("after kill -9 with 10 running pods, a restarted corrald lists the same ids and states, same pids")
    func crashAndRecover() async throws {
        try await DaemonFixture.with { daemon in
            var pods: [String] = []
            var containers: [String] = []
            for index in 0..<10 {
                let pod = try await daemon.runPod("pod\(index)")
                pods.append(pod)
                containers.append(try await daemon.runContainer(pod: pod, "main", ["sleep", "3600"]))
            }
            let finisher = try await daemon.runContainer(pod: pods[0], "finisher", ["sh", "-c", "sleep 1; exit 4"])
            let stopped = try await daemon.runPod("stopped")
            _ = try await daemon.runtime.stopPodSandbox(.with { $0.podSandboxID = stopped })
            let before = try await snapshot(daemon)

            await daemon.crash()
            // The finisher exits while the daemon is away.
            try await Task.sleep(for: .seconds(2))
            try await daemon.start()

            let after = try await snapshot(daemon)
            #expect(after.pods == before.pods)
            for id in containers {
                #expect(after.containers[id]?.state == .containerRunning)
                #expect(after.containers[id]?.pid == before.containers[id]?.pid)
            }
            let finished = try await daemon.containerState(finisher)
            #expect(finished.state == .containerExited)
            #expect(finished.exitCode == 4)
            for id in containers {
                let exec = try await daemon.runtime.execSync(.with { $0.containerID = id; $0.cmd = ["echo", "alive"]; $0.timeout = 10 })
                #expect(String(decoding: exec.stdout, as: UTF8.self) == "alive\n")
            }
            // Names survive too.
            let duplicate = await statusCode { try await daemon.runPod("pod3") }
            #expect(duplicate == .alreadyExists)
        }
    }

    @Test("a shim that died leaves its pod NOTREADY and its containers EXITED; removal cleans up")
    func shimDeath() async throws {
        try await DaemonFixture.with { daemon in
            let pod = try await daemon.runPod("doomed")
            let ctr = try await daemon.runContainer(pod: pod, "main", ["sleep", "3600"])
            let shim = try shimPID(daemon, pod: pod)
            kill(shim, SIGKILL)
            let deadline = ContinuousClock.now + .seconds(10)
            var state = Runtime_V1_PodSandboxState.sandboxReady
            while ContinuousClock.now < deadline, state == .sandboxReady {
                try await Task.sleep(for: .milliseconds(50))
                state = try await daemon.runtime.podSandboxStatus(.with { $0.podSandboxID = pod }).status.state
            }
            #expect(state == .sandboxNotready)
            #expect(try await daemon.containerState(ctr).state == .containerExited)
            _ = try await daemon.runtime.stopPodSandbox(.with { $0.podSandboxID = pod })
            _ = try await daemon.runtime.removePodSandbox(.with { $0.podSandboxID = pod })
            try await Task.sleep(for: .milliseconds(200))
            #expect(daemon.leftovers() == [])
        }
    }

    @Test("a stopped shim fails only its own pod's calls, with DeadlineExceeded; the rest answer at once")
    func hungShim() async throws {
        try await DaemonFixture.with(shimCallTimeout: "2s") { daemon in
            let healthy = try await daemon.runPod("healthy")
            let healthyCtr = try await daemon.runContainer(pod: healthy, "main", ["sleep", "3600"])
            let hung = try await daemon.runPod("hung")
            let hungCtr = try await daemon.runContainer(pod: hung, "main", ["sleep", "3600"])
            let shim = try shimPID(daemon, pod: hung)
            kill(shim, SIGSTOP)
            defer { kill(shim, SIGCONT) }

            let started = ContinuousClock.now
            let code = await statusCode {
                _ = try await daemon.runtime.execSync(.with { $0.containerID = hungCtr; $0.cmd = ["true"]; $0.timeout = 1 })
            }
            let waited = ContinuousClock.now - started
            #expect(code == .deadlineExceeded)
            #expect(waited < .seconds(6))

            // While a call to the hung shim is in flight, everything else answers.
            async let stuck = statusCode {
                _ = try await daemon.runtime.containerStats(.with { $0.containerID = hungCtr })
            }
            let listStart = ContinuousClock.now
            let pods = try await daemon.runtime.listPodSandbox(.init())
            let containers = try await daemon.runtime.listContainers(.init())
            let exec = try await daemon.runtime.execSync(.with { $0.containerID = healthyCtr; $0.cmd = ["echo", "ok"]; $0.timeout = 5 })
            let listElapsed = ContinuousClock.now - listStart
            #expect(pods.items.count == 2)
            #expect(containers.containers.count == 2)
            #expect(String(decoding: exec.stdout, as: UTF8.self) == "ok\n")
            #expect(listElapsed < .seconds(1))
            #expect(await stuck == .deadlineExceeded)
            kill(shim, SIGCONT)
        }
    }

    struct Snapshot {
        var pods: [String: Runtime_V1_PodSandboxState]
        var containers: [String: (state: Runtime_V1_ContainerState, pid: Int)]
    }

    private func snapshot(_ daemon: DaemonFixture) async throws -> Snapshot {
        var pods: [String: Runtime_V1_PodSandboxState] = [:]
        for pod in try await daemon.runtime.listPodSandbox(.init()).items { pods[pod.id] = pod.state }
        var containers: [String: (state: Runtime_V1_ContainerState, pid: Int)] = [:]
        for container in try await daemon.runtime.listContainers(.init()).containers {
            let status = try await daemon.runtime.containerStatus(.with { $0.containerID = container.id; $0.verbose = true })
            let info = try JSONSerialization.jsonObject(with: Data((status.info["info"] ?? "{}").utf8)) as? [String: Any]
            containers[container.id] = (status.status.state, info?["pid"] as? Int ?? 0)
        }
        return Snapshot(pods: pods, containers: containers)
    }

    private func shimPID(_ daemon: DaemonFixture, pod: String) throws -> Int32 {
        let data = try Data(contentsOf: URL(fileURLWithPath: daemon.state + "/pods/\(pod)/bootstrap.json"))
        let object = try JSONSerialization.jsonObject(with: data) as? [String: Any]
        guard let pid = object?["pid"] as? Int else { throw TestFailure("no shim pid for \(pod)") }
        return Int32(pid)
    }
}
