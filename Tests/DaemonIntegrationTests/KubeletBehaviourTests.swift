import CRIAPI
import CorralSystem
import Foundation
import GRPCCore
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// What kubelet relies on beyond the CRI's words, as containerd behaves: a stop the client gave
/// up on is not finished with a kill, a hung shim costs no call more than the shim timeout and a
/// second, host-network pods keep the host's name, and the pod's runtime handler is reported as
/// it was asked for.
@Suite("behaviour kubelet relies on", .serialized, .enabled(if: DaemonFixture.available))
struct KubeletBehaviourTests {
    static func deadline(_ duration: Duration) -> CallOptions {
        var options = CallOptions.defaults
        options.timeout = duration
        return options
    }

    @Test("a StopContainer the client gives up on within the grace period does not kill the container")
    func stopGivenUp() async throws {
        try await DaemonFixture.with { daemon in
            let pod = try await daemon.runPod("patient")
            let id = try await daemon.runContainer(pod: pod, "stubborn", ["sh", "-c", "trap '' TERM; while true; do sleep 0.2; done"])
            try await Task.sleep(for: .milliseconds(300))
            let error = await #expect(throws: RPCError.self) {
                _ = try await daemon.runtime.stopContainer(.with { $0.containerID = id; $0.timeout = 10 },
                                                           options: Self.deadline(.seconds(1)))
            }
            #expect(error?.code == .deadlineExceeded, "\(String(describing: error))")
            // Well past the client's deadline, short of the grace period: still running.
            try await Task.sleep(for: .seconds(3))
            #expect(try await daemon.containerState(id).state == .containerRunning)
            // kubelet's retry, with no grace left, stops it.
            _ = try await daemon.runtime.stopContainer(.with { $0.containerID = id; $0.timeout = 0 })
            #expect(try await daemon.containerState(id).state == .containerExited)
        }
    }

    @Test("a stopped shim fails every call that needs it within the shim timeout and a second, and no other")
    func stoppedShim() async throws {
        try await DaemonFixture.with(shimCallTimeout: "2s") { daemon in
            let frozen = try await daemon.runPod("frozen")
            let stuck = try await daemon.runContainer(pod: frozen, "main", ["sleep", "3600"])
            let lively = try await daemon.runPod("lively")
            let alive = try await daemon.runContainer(pod: lively, "main", ["sleep", "3600"])
            let shim = try await daemon.shimPID(of: frozen)
            kill(shim, SIGSTOP)
            defer { kill(shim, SIGCONT) }
            // ExecSync without a timeout and a stop with a long grace period: neither may wait
            // for its own deadline. (The client's own deadline only keeps a failure from hanging.)
            let limit = Self.deadline(.seconds(15))
            for (name, call) in [
                ("ExecSync", { _ = try await daemon.runtime.execSync(.with { $0.containerID = stuck; $0.cmd = ["true"]; $0.timeout = 0 }, options: limit) }),
                ("StopContainer", { _ = try await daemon.runtime.stopContainer(.with { $0.containerID = stuck; $0.timeout = 30 }, options: limit) }),
                ("ContainerStats", { _ = try await daemon.runtime.containerStats(.with { $0.containerID = stuck }, options: limit) }),
            ] as [(String, () async throws -> Void)] {
                let started = ContinuousClock.now
                let error = await #expect(throws: RPCError.self, "\(name)") { try await call() }
                let took = ContinuousClock.now - started
                #expect(error?.code == .deadlineExceeded, "\(name): \(String(describing: error))")
                // SIGKILL after a failed grace period makes StopContainer two shim calls.
                #expect(took < (name == "StopContainer" ? .seconds(6) : .seconds(3.5)), "\(name) took \(took)")
            }
            // The rest of the node answers meanwhile.
            let other = try await daemon.runtime.execSync(.with { $0.containerID = alive; $0.cmd = ["echo", "ok"]; $0.timeout = 5 })
            #expect(other.stdout == Data("ok\n".utf8))
            #expect(try await daemon.containerState(stuck).state == .containerRunning)
            kill(shim, SIGCONT)
            // Awake, the shim does what it was asked meanwhile (the stop's SIGTERM ends sleep)
            // and answers again.
            #expect(await eventually { (try? await daemon.containerState(stuck).state) == .containerExited })
            let again = try await daemon.runContainer(pod: frozen, "again", ["sleep", "3600"])
            let back = try await daemon.runtime.execSync(.with { $0.containerID = again; $0.cmd = ["echo", "back"]; $0.timeout = 0 })
            #expect(back.stdout == Data("back\n".utf8))
        }
    }

    @Test("a host-network pod that names its own hostname is refused; the handler is reported as asked")
    func hostnameAndHandler() async throws {
        try await DaemonFixture.with { daemon in
            var hostNetwork = daemon.podConfig("hostnet")
            hostNetwork.linux.securityContext.namespaceOptions.network = .node
            hostNetwork.hostname = "mine"
            let error = await #expect(throws: RPCError.self) {
                _ = try await daemon.runtime.runPodSandbox(.with { $0.config = hostNetwork })
            }
            #expect(error?.code == .invalidArgument && error?.message.contains("config.hostname") == true, "\(String(describing: error))")
            #expect(try await daemon.runtime.listPodSandbox(.init()).items.isEmpty)

            let unnamed = try await daemon.runPod("default-handler")
            let named = try await daemon.runtime.runPodSandbox(.with {
                $0.config = daemon.podConfig("runc-handler")
                $0.runtimeHandler = "runc"
            }).podSandboxID
            #expect(try await daemon.runtime.podSandboxStatus(.with { $0.podSandboxID = unnamed }).status.runtimeHandler == "")
            #expect(try await daemon.runtime.podSandboxStatus(.with { $0.podSandboxID = named }).status.runtimeHandler == "runc")
        }
    }
}
