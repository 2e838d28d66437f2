import CRIAPI
import CorralSystem
import Foundation
import Testing

/// Who a container runs as and how it is asked to stop, as ContainerStatus reports them and as
/// the process really is: supplemental groups under the Merge and Strict policies, the pod
/// spec's stop signal.
@Suite("container identity and stop signal", .serialized, .enabled(if: DaemonFixture.available))
struct ContainerIdentityTests {
    /// The test image's user tester (1234, primary group 2345) is listed in /etc/group's
    /// "extra" (3456); the request adds 5000.
    func groups(_ daemon: DaemonFixture, policy: Runtime_V1_SupplementalGroupsPolicy) async throws
    -> (status: Runtime_V1_ContainerUser, initGroups: String, execGroups: String) {
        let pod = try await daemon.runPod("groups")
        var config = daemon.containerConfig("main", ["sh", "-c", "id -G > /tmp/groups; sleep 3600"])
        config.linux.securityContext.runAsUser = .with { $0.value = 1234 }
        config.linux.securityContext.supplementalGroups = [5000]
        config.linux.securityContext.supplementalGroupsPolicy = policy
        let id = try await daemon.runtime.createContainer(.with {
            $0.podSandboxID = pod
            $0.config = config
            $0.sandboxConfig = daemon.podConfig("groups")
        }).containerID
        _ = try await daemon.runtime.startContainer(.with { $0.containerID = id })
        let status = try await daemon.containerState(id)
        let first = try await daemon.runtime.execSync(.with { $0.containerID = id; $0.cmd = ["cat", "/tmp/groups"]; $0.timeout = 10 })
        let exec = try await daemon.runtime.execSync(.with { $0.containerID = id; $0.cmd = ["id", "-G"]; $0.timeout = 10 })
        _ = try await daemon.runtime.stopPodSandbox(.with { $0.podSandboxID = pod })
        _ = try await daemon.runtime.removePodSandbox(.with { $0.podSandboxID = pod })
        return (status.user, String(decoding: first.stdout, as: UTF8.self), String(decoding: exec.stdout, as: UTF8.self))
    }

    @Test("Merge: the image's memberships and the requested groups, in the process and in ContainerStatus")
    func merge() async throws {
        try await DaemonFixture.with { daemon in
            let result = try await groups(daemon, policy: .merge)
            #expect(result.status.linux.uid == 1234 && result.status.linux.gid == 2345)
            #expect(result.status.linux.supplementalGroups.sorted() == [2345, 3456, 5000], "\(result.status)")
            #expect(result.initGroups == "2345 3456 5000\n")
            #expect(result.execGroups == "2345 3456 5000\n")
        }
    }

    @Test("Strict: the image's /etc/group is left out")
    func strict() async throws {
        try await DaemonFixture.with { daemon in
            let result = try await groups(daemon, policy: .strict)
            #expect(result.status.linux.uid == 1234 && result.status.linux.gid == 2345)
            #expect(result.status.linux.supplementalGroups.sorted() == [2345, 5000], "\(result.status)")
            #expect(result.initGroups == "2345 5000\n")
            #expect(result.execGroups == "2345 5000\n")
        }
    }

    @Test("ContainerStatus.user is the process as it is: PID 1 that becomes another user shows as that user")
    func liveIdentity() async throws {
        try await DaemonFixture.with { daemon in
            let pod = try await daemon.runPod("live")
            // Started as root, PID 1 turns itself into tester (1234, groups 2345 and 3456).
            var config = daemon.containerConfig("main", ["su", "-s", "/bin/sh", "-c", "exec sleep 3600", "tester"])
            config.linux.securityContext.supplementalGroups = [7000]
            let id = try await daemon.runtime.createContainer(.with {
                $0.podSandboxID = pod
                $0.config = config
                $0.sandboxConfig = daemon.podConfig("live")
            }).containerID
            _ = try await daemon.runtime.startContainer(.with { $0.containerID = id })
            #expect(await eventually {
                let user = try? await daemon.containerState(id).user.linux
                return user?.uid == 1234 && user?.gid == 2345 && user?.supplementalGroups.sorted() == [2345, 3456]
            })
            // Once it has exited, what the spec asked for: root, with root's group and 7000.
            _ = try await daemon.runtime.stopContainer(.with { $0.containerID = id; $0.timeout = 0 })
            let exited = try await daemon.containerState(id)
            #expect(exited.user.linux.uid == 0 && exited.user.linux.supplementalGroups.sorted() == [0, 7000], "\(exited.user)")
            _ = try await daemon.runtime.stopPodSandbox(.with { $0.podSandboxID = pod })
            _ = try await daemon.runtime.removePodSandbox(.with { $0.podSandboxID = pod })
        }
    }

    @Test("the pod spec's stop signal is the one StopContainer sends, and ContainerStatus names it")
    func stopSignal() async throws {
        try await DaemonFixture.with { daemon in
            let pod = try await daemon.runPod("signal")
            var config = daemon.containerConfig("main", ["sh", "-c", "trap 'exit 7' USR1; trap '' TERM; while true; do sleep 0.1; done"])
            config.stopSignal = .sigusr1
            let id = try await daemon.runtime.createContainer(.with {
                $0.podSandboxID = pod
                $0.config = config
                $0.sandboxConfig = daemon.podConfig("signal")
            }).containerID
            #expect(try await daemon.containerState(id).stopSignal == .sigusr1)
            _ = try await daemon.runtime.startContainer(.with { $0.containerID = id })
            try await Task.sleep(for: .milliseconds(300))
            _ = try await daemon.runtime.stopContainer(.with { $0.containerID = id; $0.timeout = 10 })
            let status = try await daemon.waitExited(id)
            #expect(status.exitCode == 7, "\(status)")
            #expect(status.imageID.hasPrefix("sha256:"), "\(status.imageID)")
            _ = try await daemon.runtime.stopPodSandbox(.with { $0.podSandboxID = pod })
            _ = try await daemon.runtime.removePodSandbox(.with { $0.podSandboxID = pod })
        }
    }
}
