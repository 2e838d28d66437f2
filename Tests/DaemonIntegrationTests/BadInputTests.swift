import CRIAPI
import Foundation
import GRPCCore
import Testing

/// Bad requests get the status kubelet acts on and a message naming the field or id, and
/// leave nothing behind: no pod, container, mount, veth, cgroup or process.
@Suite("CRI bad input", .serialized, .enabled(if: DaemonFixture.available))
struct BadInputTests {
    struct Case: Sendable {
        let name: String
        let code: RPCError.Code
        /// A word the message must hold (the field or id at fault).
        let mentions: String
        let call: @Sendable (DaemonFixture, Context) async throws -> Void
    }

    struct Context: Sendable {
        let pod: String
        let stoppedPod: String
        let running: String
        let exited: String
        let profileDir: String
    }

    static func container(_ daemon: DaemonFixture, _ context: Context, pod: String? = nil,
                          _ change: @Sendable (inout Runtime_V1_ContainerConfig) -> Void) async throws {
        var config = daemon.containerConfig("bad-\(UInt32.random(in: 0...UInt32.max))", ["sleep", "1"])
        change(&config)
        let frozen = config
        _ = try await daemon.runtime.createContainer(.with {
            $0.podSandboxID = pod ?? context.pod
            $0.config = frozen
            $0.sandboxConfig = daemon.podConfig("valid")
        })
    }

    static func pod(_ daemon: DaemonFixture, handler: String = "",
                    _ change: @Sendable (inout Runtime_V1_PodSandboxConfig) -> Void) async throws {
        var config = daemon.podConfig("bad-\(UInt32.random(in: 0...UInt32.max))")
        change(&config)
        let frozen = config
        _ = try await daemon.runtime.runPodSandbox(.with { $0.config = frozen; $0.runtimeHandler = handler })
    }

    static let cases: [Case] = [
        // RunPodSandbox
        Case(name: "pod without config", code: .invalidArgument, mentions: "config") { d, _ in
            _ = try await d.runtime.runPodSandbox(.init()) },
        Case(name: "pod without metadata", code: .invalidArgument, mentions: "metadata") { d, _ in
            try await pod(d) { $0.clearMetadata() } },
        Case(name: "pod with an empty name", code: .invalidArgument, mentions: "metadata.name") { d, _ in
            try await pod(d) { $0.metadata.name = "" } },
        Case(name: "pod with an empty namespace", code: .invalidArgument, mentions: "metadata.namespace") { d, _ in
            try await pod(d) { $0.metadata.namespace = "" } },
        Case(name: "pod with an empty uid", code: .invalidArgument, mentions: "metadata.uid") { d, _ in
            try await pod(d) { $0.metadata.uid = "" } },
        Case(name: "pod with an over-long name", code: .invalidArgument, mentions: "metadata.name") { d, _ in
            try await pod(d) { $0.metadata.name = String(repeating: "a", count: 300) } },
        Case(name: "pod name with a path in it", code: .invalidArgument, mentions: "metadata.name") { d, _ in
            try await pod(d) { $0.metadata.name = "../../etc" } },
        Case(name: "unknown runtime handler", code: .invalidArgument, mentions: "no-such-runtime") { d, _ in
            try await pod(d, handler: "no-such-runtime") { _ in } },
        Case(name: "relative log directory", code: .invalidArgument, mentions: "log_directory") { d, _ in
            try await pod(d) { $0.logDirectory = "relative/logs" } },
        Case(name: "host port out of range", code: .invalidArgument, mentions: "port_mappings[0]") { d, _ in
            try await pod(d) { $0.portMappings = [.with { $0.containerPort = 80; $0.hostPort = 70000 }] } },
        Case(name: "relative cgroup parent", code: .invalidArgument, mentions: "cgroup_parent") { d, _ in
            try await pod(d) { $0.linux.cgroupParent = "kubepods" } },
        Case(name: "duplicate pod name", code: .alreadyExists, mentions: "valid") { d, _ in
            _ = try await d.runtime.runPodSandbox(.with { $0.config = d.podConfig("valid") }) },
        // CreateContainer
        Case(name: "container without pod id", code: .invalidArgument, mentions: "pod_sandbox_id") { d, c in
            try await container(d, c, pod: "") { _ in } },
        Case(name: "container in an unknown pod", code: .notFound, mentions: "feedface") { d, c in
            try await container(d, c, pod: "feedface") { _ in } },
        Case(name: "container in a stopped pod", code: .failedPrecondition, mentions: "not ready") { d, c in
            try await container(d, c, pod: c.stoppedPod) { _ in } },
        Case(name: "container without config", code: .invalidArgument, mentions: "config") { d, c in
            _ = try await d.runtime.createContainer(.with { $0.podSandboxID = c.pod }) },
        Case(name: "container without metadata", code: .invalidArgument, mentions: "metadata") { d, c in
            try await container(d, c) { $0.clearMetadata() } },
        Case(name: "container with an empty name", code: .invalidArgument, mentions: "metadata.name") { d, c in
            try await container(d, c) { $0.metadata.name = "" } },
        Case(name: "container without image", code: .invalidArgument, mentions: "image") { d, c in
            try await container(d, c) { $0.image.image = "" } },
        Case(name: "container of an unknown image", code: .notFound, mentions: "no-such-image") { d, c in
            try await container(d, c) { $0.image.image = "no-such-image:1.0" } },
        Case(name: "duplicate container name", code: .alreadyExists, mentions: "sleeper") { d, c in
            try await container(d, c) { $0.metadata.name = "sleeper" } },
        Case(name: "relative container path of a mount", code: .invalidArgument, mentions: "relative/path") { d, c in
            try await container(d, c) { $0.mounts = [.with { $0.containerPath = "relative/path"; $0.hostPath = "/tmp" }] } },
        Case(name: "missing host path of a mount", code: .notFound, mentions: "/no/such/host/path") { d, c in
            try await container(d, c) { $0.mounts = [.with { $0.containerPath = "/data"; $0.hostPath = "/no/such/host/path" }] } },
        Case(name: "absolute log path", code: .invalidArgument, mentions: "log_path") { d, c in
            try await container(d, c) { $0.logPath = "/var/log/x.log" } },
        Case(name: "negative memory limit", code: .invalidArgument, mentions: "memory_limit_in_bytes") { d, c in
            try await container(d, c) { $0.linux.resources.memoryLimitInBytes = -5 } },
        Case(name: "negative cpu shares", code: .invalidArgument, mentions: "cpu_shares") { d, c in
            try await container(d, c) { $0.linux.resources.cpuShares = -2 } },
        Case(name: "unknown capability", code: .invalidArgument, mentions: "CAP_NOT_A_THING") { d, c in
            try await container(d, c) { $0.linux.securityContext.capabilities.addCapabilities = ["CAP_NOT_A_THING"] } },
        Case(name: "sysctl outside the container's namespaces", code: .invalidArgument, mentions: "vm.swappiness") { d, c in
            try await pod(d) { $0.linux.sysctls = ["vm.swappiness": "10"] } },
        Case(name: "seccomp profile with an unknown syscall", code: .invalidArgument, mentions: "not_a_syscall") { d, c in
            try await container(d, c) {
                $0.linux.securityContext.seccomp = .with { $0.profileType = .localhost; $0.localhostRef = c.profileDir + "/bad.json" }
            } },
        Case(name: "missing seccomp profile", code: .notFound, mentions: "missing.json") { d, c in
            try await container(d, c) {
                $0.linux.securityContext.seccomp = .with { $0.profileType = .localhost; $0.localhostRef = c.profileDir + "/missing.json" }
            } },
        Case(name: "user name the image lacks", code: .invalidArgument, mentions: "nosuchuser") { d, c in
            try await container(d, c) { $0.linux.securityContext.runAsUsername = "nosuchuser" } },
        // Other calls
        Case(name: "start an unknown container", code: .notFound, mentions: "deadbeef") { d, _ in
            _ = try await d.runtime.startContainer(.with { $0.containerID = "deadbeef" }) },
        Case(name: "start a running container", code: .failedPrecondition, mentions: "not CREATED") { d, c in
            _ = try await d.runtime.startContainer(.with { $0.containerID = c.running }) },
        Case(name: "status of an unknown container", code: .notFound, mentions: "0123abc") { d, _ in
            _ = try await d.runtime.containerStatus(.with { $0.containerID = "0123abc" }) },
        Case(name: "status of an unknown pod", code: .notFound, mentions: "0123abc") { d, _ in
            _ = try await d.runtime.podSandboxStatus(.with { $0.podSandboxID = "0123abc" }) },
        Case(name: "status with an empty id", code: .invalidArgument, mentions: "id is empty") { d, _ in
            _ = try await d.runtime.containerStatus(.init()) },
        Case(name: "exec in an exited container", code: .failedPrecondition, mentions: "not running") { d, c in
            _ = try await d.runtime.execSync(.with { $0.containerID = c.exited; $0.cmd = ["true"] }) },
        Case(name: "exec with no command", code: .invalidArgument, mentions: "cmd") { d, c in
            _ = try await d.runtime.execSync(.with { $0.containerID = c.running }) },
        Case(name: "exec with a negative timeout", code: .invalidArgument, mentions: "timeout") { d, c in
            _ = try await d.runtime.execSync(.with { $0.containerID = c.running; $0.cmd = ["true"]; $0.timeout = -1 }) },
        Case(name: "negative resources in an update", code: .invalidArgument, mentions: "memory_limit_in_bytes") { d, c in
            _ = try await d.runtime.updateContainerResources(.with {
                $0.containerID = c.running
                $0.linux.memoryLimitInBytes = -1
            }) },
        Case(name: "reopen the log of an exited container", code: .failedPrecondition, mentions: "not running") { d, c in
            _ = try await d.runtime.reopenContainerLog(.with { $0.containerID = c.exited }) },
        Case(name: "pull with no image", code: .invalidArgument, mentions: "image") { d, _ in
            _ = try await d.client.images.pullImage(.init()) },
        Case(name: "image status with no image", code: .invalidArgument, mentions: "image") { d, _ in
            _ = try await d.client.images.imageStatus(.init()) },
        Case(name: "attach stdin to a container created without it", code: .invalidArgument, mentions: "stdin") { d, c in
            _ = try await d.runtime.attach(.with { $0.containerID = c.running; $0.stdin = true; $0.stdout = true }) },
        Case(name: "exec with no command through the streaming server", code: .invalidArgument, mentions: "cmd") { d, c in
            _ = try await d.runtime.exec(.with { $0.containerID = c.running; $0.stdout = true }) },
        Case(name: "port-forward to an unknown pod", code: .notFound, mentions: "abcdef") { d, _ in
            _ = try await d.runtime.portForward(.with { $0.podSandboxID = "abcdef"; $0.port = [80] }) },
    ]

    @Test("each bad input gets its status code, names what is wrong, and leaves nothing")
    func table() async throws {
        #expect(Self.cases.count >= 30)
        try await DaemonFixture.with { daemon in
            let profileDir = daemon.dir + "/seccomp"
            try FileManager.default.createDirectory(atPath: profileDir, withIntermediateDirectories: true)
            try #"{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["read","not_a_syscall"],"action":"SCMP_ACT_ERRNO"}]}"#
                .write(toFile: profileDir + "/bad.json", atomically: true, encoding: .utf8)
            let pod = try await daemon.runPod("valid")
            let stoppedPod = try await daemon.runPod("stopped")
            _ = try await daemon.runtime.stopPodSandbox(.with { $0.podSandboxID = stoppedPod })
            let running = try await daemon.runContainer(pod: pod, "sleeper", ["sleep", "3600"])
            let exited = try await daemon.runContainer(pod: pod, "quick", ["true"])
            _ = try await daemon.waitExited(exited)
            let context = Context(pod: pod, stoppedPod: stoppedPod, running: running, exited: exited, profileDir: profileDir)
            let mountsBefore = daemon.mounts()

            for testCase in Self.cases {
                do {
                    try await testCase.call(daemon, context)
                    Issue.record("\(testCase.name): succeeded, expected \(testCase.code)")
                } catch let error as RPCError {
                    #expect(error.code == testCase.code, "\(testCase.name): \(error.message)")
                    #expect(error.message.contains(testCase.mentions), "\(testCase.name): \"\(error.message)\" does not name \(testCase.mentions)")
                }
            }

            let pods = try await daemon.runtime.listPodSandbox(.init()).items.map(\.id)
            #expect(Set(pods) == [pod, stoppedPod])
            let containers = try await daemon.runtime.listContainers(.init()).containers.map(\.id)
            #expect(Set(containers) == [running, exited])
            #expect(daemon.mounts() == mountsBefore)
            let bundles = try FileManager.default.contentsOfDirectory(atPath: daemon.state + "/containers")
            #expect(Set(bundles) == [running, exited])
        }
    }
}
