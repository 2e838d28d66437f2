import CorralShim
import CorralSystem
import Foundation
import ShimAPI
import ShimContract
import TTRPC

#if canImport(Glibc)
import Glibc
#endif

/// A busybox root filesystem built once from Debian's busybox-static, shared read-only as the
/// lower layer of every test container's overlay.
enum BusyboxImage {
    static let root = "/tmp/corral-test-busybox"
    static let available = FileSystem.exists("/bin/busybox")

    static func prepare() throws {
        let marker = root + "/.complete"
        if FileSystem.exists(marker) { return }
        // Suites run in parallel, and on a new machine the first of them all come here at once.
        let lock = try FileSystem.lockExclusively(root + ".lock")
        defer { lock.close() }
        if FileSystem.exists(marker) { return }
        FileSystem.removeTree(root)
        for dir in ["bin", "proc", "dev", "sys", "tmp", "etc", "root"] {
            try FileSystem.makeDirectories(root + "/" + dir, mode: 0o755)
        }
        _ = try FileManager.default.copyItem(atPath: "/bin/busybox", toPath: root + "/bin/busybox")
        let applets = try ShimHarness.runTool("/bin/busybox", ["--list"]).stdout.split(separator: "\n")
        for applet in applets where applet != "busybox" {
            try? FileManager.default.createSymbolicLink(atPath: root + "/bin/" + applet, withDestinationPath: "busybox")
        }
        try "root:x:0:0:root:/root:/bin/sh\n".write(toFile: root + "/etc/passwd", atomically: true, encoding: .utf8)
        try "root:x:0:\n".write(toFile: root + "/etc/group", atomically: true, encoding: .utf8)
        _ = FileManager.default.createFile(atPath: marker, contents: nil)
    }
}

/// A pod served by a real corral-shim: its own CNI bridge and subnet, real runc, containers on
/// overlays of the busybox image.
final class PodFixture: @unchecked Sendable {
    let root: String
    let id: String
    let stateDir: String
    let socketDir: String
    let cniConfDir: String
    let bridge: String
    let subnet: String
    var client: Client!
    var shimPID: Int32 = 0
    var namespaces = Corral_Shim_V1_NamespacePaths()
    /// More `corral-shim start` flags.
    var shimFlags: [String] = []

    init(name: String = "pod") throws {
        var template = Array("/tmp/corral-pod-XXXXXX".utf8CString)
        let made = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
        root = String(cString: made!)
        let suffix = String(root.suffix(6)).lowercased().filter { $0.isLetter || $0.isNumber }
        id = "\(name)-\(suffix)"
        stateDir = root + "/state"
        socketDir = root + "/s"
        cniConfDir = root + "/cni"
        bridge = "crl" + String(suffix.prefix(6))
        subnet = "10.217.\(Int.random(in: 1...250)).0/24"
        try BusyboxImage.prepare()
        try FileSystem.makeDirectories(cniConfDir)
        let conflist = """
            {"cniVersion": "1.0.0", "name": "corral-test-\(suffix)", "plugins": [
              {"type": "bridge", "bridge": "\(bridge)", "isGateway": true, "ipMasq": false,
               "ipam": {"type": "host-local", "subnet": "\(subnet)", "dataDir": "\(root)/ipam"}},
              {"type": "portmap", "capabilities": {"portMappings": true}}]}
            """
        try conflist.write(toFile: cniConfDir + "/10-test.conflist", atomically: true, encoding: .utf8)
    }

    var paths: ShimPaths { ShimPaths(stateDir: stateDir, socketDir: socketDir) }

    func start() throws {
        let result = try ShimHarness.run(["start", "--id", id, "--state-dir", stateDir, "--socket-dir", socketDir] + shimFlags)
        guard result.status == 0 else { throw HarnessError("start: \(result.stderr)") }
        guard let bootstrap = Bootstrap(startOutput: result.stdout) else { throw HarnessError("start printed \(result.stdout)") }
        client = try Client.connect(bootstrap.address)
        shimPID = bootstrap.pid
    }

    /// CreateSandbox + StartSandbox.
    @discardableResult
    func run(pidMode: Corral_Shim_V1_NamespaceMode = .container, hostname: String = "testpod",
             confDir: String? = nil, systemdCgroup: Bool = false) async throws -> Corral_Shim_V1_StartSandboxResponse {
        if client == nil { try start() }
        var create = Corral_Shim_V1_CreateSandboxRequest()
        create.sandboxID = id
        create.hostname = hostname
        create.metadata.name = "test"
        create.metadata.namespace = "default"
        create.metadata.uid = "uid-\(id)"
        create.namespaceOptions.pid = pidMode
        create.network.cniConfDir = confDir ?? cniConfDir
        create.network.cniBinDirs = ["/usr/lib/cni"]
        create.systemdCgroup = systemdCgroup
        _ = try await client.call(SandboxMethods.createSandbox, create)
        var start = Corral_Shim_V1_StartSandboxRequest()
        start.sandboxID = id
        let started = try await client.call(SandboxMethods.startSandbox, start, timeout: .seconds(30))
        namespaces = started.namespaces
        return started
    }

    struct ContainerOptions {
        var memoryLimit: Int64?
        var terminal = false
        var stdin = false
        var stdinOnce = false
        var env: [String] = []
        /// The spec's linux.seccomp, and the BPF the daemon would compile from it.
        var seccomp: [String: Any]?
        var seccompProgram: [UInt8]?
        /// The OCI runtime for this container; empty: the shim's default (runc).
        var runtimePath = ""
        /// In the host's PID namespace (kubelet's hostPID) rather than the pod's or its own.
        var hostPID = false
    }

    /// A runc that records each of its command lines in `runtimeTrace`, so a test can tell which
    /// of runc's commands really ran; its path, for `ContainerOptions.runtimePath`.
    func tracedRuntime() throws -> String {
        let path = root + "/runc-traced"
        try "#!/bin/sh\necho \"$*\" >> \(runtimeTrace)\nexec /usr/sbin/runc \"$@\"\n"
            .write(toFile: path, atomically: true, encoding: .utf8)
        chmod(path, 0o755)
        return path
    }

    var runtimeTrace: String { root + "/runtime-calls" }

    /// How many times the traced runtime ran `command` (create, start, exec, ...).
    func runtimeRuns(of command: String) -> Int {
        ((try? String(contentsOfFile: runtimeTrace, encoding: .utf8)) ?? "").split(separator: "\n").filter { line in
            var words = line.split(separator: " ")[...]
            while let word = words.first, word.hasPrefix("--") {
                words = words.dropFirst(["--root", "--log", "--log-format"].contains(word) ? 2 : 1)
            }
            return words.first.map(String.init) == command
        }.count
    }

    /// Writes a bundle (OCI config.json) whose rootfs the shim mounts as an overlay.
    func bundle(_ name: String, _ args: [String], _ options: ContainerOptions = .init()) throws -> (bundle: String, rootfs: Corral_Shim_V1_Mount) {
        let bundle = root + "/bundles/" + name
        for dir in ["rootfs", "upper", "work"] { try FileSystem.makeDirectories(bundle + "/" + dir, mode: 0o755) }
        var namespaces: [[String: Any]] = [["type": "mount"]]
        for (type, path) in [("network", self.namespaces.network), ("ipc", self.namespaces.ipc),
                             ("uts", self.namespaces.uts), ("pid", self.namespaces.pid)] {
            if type == "pid" && options.hostPID { continue }
            namespaces.append(path.isEmpty ? ["type": type] : ["type": type, "path": path])
        }
        let caps = ["CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FOWNER", "CAP_FSETID", "CAP_KILL", "CAP_SETGID", "CAP_SETUID",
                    "CAP_NET_BIND_SERVICE", "CAP_NET_RAW", "CAP_SYS_CHROOT"]
        var resources: [String: Any] = ["devices": [["allow": false, "access": "rwm"]]]
        if let limit = options.memoryLimit { resources["memory"] = ["limit": limit, "swap": limit] }
        let config: [String: Any] = [
            "ociVersion": "1.0.2",
            "process": [
                "terminal": options.terminal, "user": ["uid": 0, "gid": 0], "args": args,
                "env": ["PATH=/bin", "HOME=/root"] + options.env, "cwd": "/",
                "capabilities": ["bounding": caps, "effective": caps, "permitted": caps],
                "rlimits": [["type": "RLIMIT_NOFILE", "hard": 1024, "soft": 1024]],
                "noNewPrivileges": true,
            ] as [String: Any],
            "root": ["path": "rootfs", "readonly": false],
            "hostname": "testpod",
            "mounts": [
                ["destination": "/proc", "type": "proc", "source": "proc"],
                ["destination": "/dev", "type": "tmpfs", "source": "tmpfs", "options": ["nosuid", "strictatime", "mode=755", "size=65536k"]],
                ["destination": "/dev/pts", "type": "devpts", "source": "devpts",
                 "options": ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620"]],
                ["destination": "/dev/shm", "type": "tmpfs", "source": "shm", "options": ["nosuid", "noexec", "nodev", "mode=1777", "size=65536k"]],
                ["destination": "/sys", "type": "sysfs", "source": "sysfs", "options": ["nosuid", "noexec", "nodev", "ro"]],
            ],
            "linux": [
                "namespaces": namespaces,
                "cgroupsPath": "/corral-test-\(id)-\(name)",
                "resources": resources,
            ] as [String: Any],
        ]
        var spec = config
        if let seccomp = options.seccomp {
            var linux = spec["linux"] as! [String: Any]
            linux["seccomp"] = seccomp
            spec["linux"] = linux
        }
        let data = try JSONSerialization.data(withJSONObject: spec, options: [.sortedKeys])
        try data.write(to: URL(fileURLWithPath: bundle + "/config.json"))
        if let program = options.seccompProgram {
            try FileSystem.writeAtomically(bundle + "/seccomp.bpf", program)
        }
        var mount = Corral_Shim_V1_Mount()
        mount.type = "overlay"
        mount.source = "overlay"
        mount.options = ["lowerdir=\(BusyboxImage.root)", "upperdir=\(bundle)/upper", "workdir=\(bundle)/work"]
        return (bundle, mount)
    }

    func logPath(_ name: String) -> String { root + "/logs/" + name + ".log" }

    /// Create + Start; returns the container's pid.
    @discardableResult
    func runContainer(_ name: String, _ args: [String], _ options: ContainerOptions = .init()) async throws -> UInt32 {
        let pid = try await createContainer(name, args, options)
        var start = Corral_Shim_V1_StartTaskRequest()
        start.id = name
        _ = try await client.call(TaskMethods.start, start, timeout: .seconds(30))
        return pid
    }

    /// The container's task, created and not started: runc's init waits for `start`.
    func createContainer(_ name: String, _ args: [String], _ options: ContainerOptions = .init()) async throws -> UInt32 {
        let (bundle, mount) = try bundle(name, args, options)
        try FileSystem.makeDirectories(root + "/logs")
        var create = Corral_Shim_V1_CreateTaskRequest()
        create.id = name
        create.bundle = bundle
        create.rootfs = [mount]
        create.logPath = logPath(name)
        create.terminal = options.terminal
        create.stdin = options.stdin
        create.stdinOnce = options.stdinOnce
        create.runtimePath = options.runtimePath
        return try await client.call(TaskMethods.create, create, timeout: .seconds(30)).pid
    }

    func wait(_ name: String, timeout: Duration = .seconds(30)) async throws -> Corral_Shim_V1_WaitTaskResponse {
        var request = Corral_Shim_V1_WaitTaskRequest()
        request.id = name
        return try await client.call(TaskMethods.wait, request, timeout: timeout)
    }

    func log(_ name: String) -> String {
        (try? String(contentsOfFile: logPath(name), encoding: .utf8)) ?? ""
    }

    /// The text of every record of a CRI log, joined per the P/F tags.
    func logText(_ name: String) -> String {
        var text = ""
        for line in log(name).split(separator: "\n", omittingEmptySubsequences: false) where !line.isEmpty {
            let parts = line.split(separator: " ", maxSplits: 3, omittingEmptySubsequences: false)
            guard parts.count >= 3 else { continue }
            text += parts.count == 4 ? String(parts[3]) : ""
            if parts[2] == "F" { text += "\n" }
        }
        return text
    }

    /// ShutdownSandbox and wait for the shim to go; then `corral-shim delete` for anything left.
    func tearDown() async {
        if let client {
            var request = Corral_Shim_V1_ShutdownSandboxRequest()
            request.sandboxID = id
            _ = try? await client.call(SandboxMethods.shutdownSandbox, request, timeout: .seconds(30))
            client.close()
            _ = await ShimHarness.waitForExit(shimPID)
        }
        if let keep = ProcessInfo.processInfo.environment["CORRAL_TEST_KEEP_LOGS"] {
            try? FileManager.default.createDirectory(atPath: keep, withIntermediateDirectories: true)
            try? FileManager.default.copyItem(atPath: paths.log, toPath: keep + "/" + id + ".log")
        }
        _ = try? ShimHarness.run(["delete", "--id", id, "--state-dir", stateDir, "--socket-dir", socketDir])
        _ = try? ShimHarness.runTool("/sbin/ip", ["link", "del", bridge])
        FileSystem.removeTree(root)
    }
}

/// What the host holds that a pod could leave behind, to compare before and after.
struct HostSnapshot: Equatable {
    var mounts: [String]
    var links: [String]
    var netns: [String]
    var cgroups: [String]
    var processes: [String]

    /// What this pod (its dirs, its bridge, its cgroups) has on the host, leaving out the
    /// shim process itself.
    static func take(of pod: PodFixture) throws -> HostSnapshot {
        let marker = pod.root
        let mounts = try FileSystem.readText("/proc/self/mountinfo")
            .split(separator: "\n").filter { $0.contains(marker) }.map { String($0.split(separator: " ")[4]) }
        // The veths CNI plugged into this pod's bridge.
        let links = try ShimHarness.runTool("/sbin/ip", ["-o", "link", "show", "master", pod.bridge]).stdout.split(separator: "\n")
            .compactMap { $0.split(separator: ":").dropFirst().first.map { $0.trimmingCharacters(in: .whitespaces) } }
        let netns = ((try? FileManager.default.contentsOfDirectory(atPath: "/run/netns")) ?? []).filter { $0.contains(pod.id) }
        var cgroups: [String] = []
        for controller in ["memory", "cpu", "pids", "cpuacct", "devices", "freezer", "blkio", "cpuset", "systemd", "unified"] {
            let dir = "/sys/fs/cgroup/" + controller
            cgroups += ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? [])
                .filter { $0.hasPrefix("corral-test-\(pod.id)") }.map { controller + "/" + $0 }
        }
        var processes: [String] = []
        for entry in (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? [] where Int(entry) != nil {
            if let cmdline = try? String(contentsOfFile: "/proc/\(entry)/cmdline", encoding: .utf8), cmdline.contains(marker),
               !cmdline.contains("serve\0--id") {
                processes.append(cmdline.replacingOccurrences(of: "\0", with: " "))
            }
        }
        // Processes of the pod's containers: those in its cgroups.
        for cgroup in cgroups where cgroup.hasPrefix("pids/") {
            processes += ((try? String(contentsOfFile: "/sys/fs/cgroup/\(cgroup)/cgroup.procs", encoding: .utf8)) ?? "")
                .split(separator: "\n").map { "pid \($0)" }
        }
        return HostSnapshot(mounts: mounts.sorted(), links: links.sorted(), netns: netns, cgroups: cgroups.sorted(),
                            processes: processes.sorted())
    }
}

extension ShimHarness {

    /// Runs any program to completion, capturing its output.
    static func runTool(_ path: String, _ arguments: [String]) throws -> Run {
        let out = try FileDescriptor.pipe()
        let err = try FileDescriptor.pipe()
        let pid = try Spawn.run(path, arguments: [path] + arguments, stdio: .init(stdin: nil, stdout: out.write, stderr: err.write))
        out.write.close()
        err.write.close()
        defer { out.read.close(); err.read.close() }
        var stdout: [UInt8] = []
        while let chunk = try? out.read.read(upTo: 65536), !chunk.isEmpty { stdout += chunk }
        var stderr: [UInt8] = []
        while let chunk = try? err.read.read(upTo: 65536), !chunk.isEmpty { stderr += chunk }
        let status = try ProcessControl.wait(for: pid)
        return Run(status: status.code, stdout: String(decoding: stdout, as: UTF8.self), stderr: String(decoding: stderr, as: UTF8.self))
    }
}
