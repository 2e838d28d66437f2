import CRIAPI
import CorralSystem
import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Pods with a user namespace of their own (hostUsers: false): the container's root is an
/// unprivileged host ID, owns its image and its volumes through ID-mapped mounts, and nothing
/// of the namespace or its mounts outlives the pod.
@Suite("user namespaces", .serialized, .enabled(if: DaemonFixture.available))
struct UserNamespaceTests {
    /// A base no other test uses at the same time, a multiple of 65536 as kubelet picks them.
    static func base() -> UInt32 { UInt32.random(in: 4...1000) * 65536 }

    static func options(base: UInt32, length: UInt32 = 65536) -> Runtime_V1_NamespaceOption {
        .with {
            $0.usernsOptions = .with {
                $0.mode = .pod
                $0.uids = [.with { $0.containerID = 0; $0.hostID = base; $0.length = length }]
                $0.gids = [.with { $0.containerID = 0; $0.hostID = base; $0.length = length }]
            }
        }
    }

    /// A pod with `options` and one container in it (the same options, `mounts`) running sleep.
    func start(_ daemon: DaemonFixture, _ name: String, options: Runtime_V1_NamespaceOption,
               mounts: [Runtime_V1_Mount] = []) async throws -> (pod: String, container: String) {
        var podConfig = daemon.podConfig(name)
        podConfig.linux.securityContext.namespaceOptions = options
        let pod = try await daemon.runtime.runPodSandbox(.with { $0.config = podConfig }).podSandboxID
        var config = daemon.containerConfig("main", ["sleep", "3600"])
        config.linux.securityContext.namespaceOptions = options
        config.mounts = mounts
        let id = try await daemon.runtime.createContainer(.with {
            $0.podSandboxID = pod
            $0.config = config
            $0.sandboxConfig = podConfig
        }).containerID
        _ = try await daemon.runtime.startContainer(.with { $0.containerID = id })
        return (pod, id)
    }

    func remove(_ daemon: DaemonFixture, pod: String) async throws {
        _ = try await daemon.runtime.stopPodSandbox(.with { $0.podSandboxID = pod })
        _ = try await daemon.runtime.removePodSandbox(.with { $0.podSandboxID = pod })
    }

    func pid(_ daemon: DaemonFixture, _ id: String) async throws -> Int {
        let info = try await daemon.runtime.containerStatus(.with { $0.containerID = id; $0.verbose = true }).info["info"] ?? ""
        let object = try JSONSerialization.jsonObject(with: Data(info.utf8)) as? [String: Any]
        return try #require(object?["pid"] as? Int)
    }

    func exec(_ daemon: DaemonFixture, _ id: String, _ script: String) async throws -> String {
        let result = try await daemon.runtime.execSync(.with { $0.containerID = id; $0.cmd = ["sh", "-c", script]; $0.timeout = 10 })
        return String(decoding: result.stdout + result.stderr, as: UTF8.self)
    }

    @Test("root in the pod is an unprivileged host ID that owns its image and its volume")
    func ownNamespace() async throws {
        var template = Array("/tmp/corral-userns-XXXXXX".utf8CString)
        let volume = String(cString: template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }!)
        defer { FileSystem.removeTree(volume) }
        try FileSystem.writeAtomically(volume + "/host-file", Array("from the host\n".utf8))
        let base = Self.base()
        try await DaemonFixture.with { daemon in
            let (pod, id) = try await start(daemon, "userns", options: Self.options(base: base),
                                            mounts: [.with { $0.hostPath = volume; $0.containerPath = "/vol" }])

            let map = try await exec(daemon, id, "cat /proc/self/uid_map /proc/self/gid_map")
            let lines = map.split(separator: "\n").map { $0.split(separator: " ").map(String.init) }
            #expect(lines == [["0", "\(base)", "65536"], ["0", "\(base)", "65536"]], "\(map)")
            #expect(try await exec(daemon, id, "id -u; id -g") == "0\n0\n")
            // The image's files are root's in the container, and root writes where it may.
            #expect(try await exec(daemon, id, "stat -c '%u %g' /etc/passwd /bin; touch /etc/written && echo written")
                    == "0 0\n0 0\nwritten\n")
            // The host's root-owned volume is root's in the container; what it writes there is
            // the host root's, through the ID-mapped bind.
            #expect(try await exec(daemon, id, "stat -c %u /vol/host-file; echo hi > /vol/from-container && cat /vol/host-file")
                    == "0\nfrom the host\n")
            var info = stat()
            #expect(stat(volume + "/from-container", &info) == 0 && info.st_uid == 0, "uid \(info.st_uid)")
            // On the host the container's processes are the unprivileged base ID.
            let status = try await daemon.containerState(id)
            let host = try String(contentsOfFile: "/proc/\(try await pid(daemon, id))/status", encoding: .utf8)
            #expect(host.contains("Uid:\t\(base)\t\(base)\t\(base)\t\(base)"), "\(host)")
            // ContainerStatus reports the IDs as the container sees them.
            #expect(status.user.linux.uid == 0 && status.user.linux.gid == 0, "\(status.user)")

            #expect(try await daemon.runtime.status(.init()).runtimeHandlers.contains { $0.name == "" && $0.features.userNamespaces })
            try await remove(daemon, pod: pod)
            #expect(daemon.leftovers() == [])
        }
    }

    @Test("with a shared PID namespace the pod's init is PID 1 in the user namespace, and confined")
    func sharedPIDNamespace() async throws {
        let base = Self.base()
        try await DaemonFixture.with { daemon in
            var options = Self.options(base: base)
            options.pid = .pod
            let (pod, id) = try await start(daemon, "sharedpid", options: options)
            let pid1 = try await exec(daemon, id, "cat /proc/1/comm; grep -E '^(Uid|CapEff)' /proc/1/status; ls /proc/1/root/ 2>&1 | head -3")
            #expect(pid1.hasPrefix("corral-init\nUid:\t0\t0\t0\t0\nCapEff:\t0000000000000000\n"), "\(pid1)")
            // Its root is an empty tmpfs of its own, not the host's.
            #expect(!pid1.contains("etc") && !pid1.contains("bin"), "\(pid1)")
            try await remove(daemon, pod: pod)
            #expect(daemon.leftovers() == [])
        }
    }

    @Test("NODE: the host's user namespace")
    func hostNamespace() async throws {
        try await DaemonFixture.with { daemon in
            var options = Runtime_V1_NamespaceOption()
            options.usernsOptions.mode = .node
            let (pod, id) = try await start(daemon, "hostusers", options: options)
            let map = try await exec(daemon, id, "cat /proc/self/uid_map")
            #expect(map.split(separator: " ", omittingEmptySubsequences: true) == ["0", "0", "4294967295\n"], "\(map)")
            try await remove(daemon, pod: pod)
        }
    }

    @Test("refused: more than one mapping, root unmapped, the host's root, CONTAINER, TARGET, host network")
    func refused() async throws {
        let base = Self.base()
        var two = Self.options(base: base)
        two.usernsOptions.uids.append(.with { $0.containerID = 0; $0.hostID = base + 65536; $0.length = 65536 })
        var unmapped = Self.options(base: base)
        unmapped.usernsOptions.uids[0].containerID = 1
        let hostRoot = Self.options(base: 0)
        var perContainer = Runtime_V1_NamespaceOption()
        perContainer.usernsOptions.mode = .container
        var target = Runtime_V1_NamespaceOption()
        target.usernsOptions.mode = .target
        var hostNetwork = Self.options(base: base)
        hostNetwork.network = .node
        let cases: [(Runtime_V1_NamespaceOption, String)] = [
            (two, "exactly one mapping"), (unmapped, "container ID 0 (root) is not mapped"),
            (hostRoot, "host's root"), (perContainer, "CONTAINER is not supported"), (target, "TARGET is not supported"),
            (hostNetwork, "network: NODE cannot be combined"),
        ]
        try await DaemonFixture.with { daemon in
            for (options, words) in cases {
                var podConfig = daemon.podConfig("refused")
                podConfig.linux.securityContext.namespaceOptions = options
                // A host-network pod has the host's name (asking for its own is refused first).
                if options.network == .node { podConfig.hostname = "" }
                let error = await #expect(throws: (any Error).self) {
                    _ = try await daemon.runtime.runPodSandbox(.with { $0.config = podConfig })
                }
                let text = "\(String(describing: error))"
                #expect(text.contains("invalidArgument") && text.contains(words), "\(text)")
            }
            let pods = try await daemon.runtime.listPodSandbox(.init()).items
            #expect(pods.isEmpty)
            #expect(daemon.leftovers() == [])
        }
    }

    @Test("a volume whose file system takes no ID mapping is refused by name, leaving nothing")
    func unmappableVolume() async throws {
        let base = Self.base()
        try await DaemonFixture.with { daemon in
            var podConfig = daemon.podConfig("sysfs")
            podConfig.linux.securityContext.namespaceOptions = Self.options(base: base)
            let pod = try await daemon.runtime.runPodSandbox(.with { $0.config = podConfig }).podSandboxID
            var config = daemon.containerConfig("main", ["sleep", "3600"])
            config.mounts = [.with { $0.hostPath = "/sys/kernel"; $0.containerPath = "/hostsys"; $0.readonly = true }]
            let error = await #expect(throws: (any Error).self) {
                _ = try await daemon.runtime.createContainer(.with {
                    $0.podSandboxID = pod
                    $0.config = config
                    $0.sandboxConfig = podConfig
                })
            }
            let text = "\(String(describing: error))"
            #expect(text.contains("invalidArgument") && text.contains("/sys/kernel") && text.contains("cannot be ID-mapped"), "\(text)")
            #expect(try await daemon.runtime.listContainers(.init()).containers.isEmpty)
            #expect(daemon.mounts().filter { $0.contains("/staged/") } == [])
            try await remove(daemon, pod: pod)
            #expect(daemon.leftovers() == [])
        }
    }
}
