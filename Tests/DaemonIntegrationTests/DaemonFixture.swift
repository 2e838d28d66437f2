import CRIAPI
import CRIGRPC
import CorralImages
import CorralRegistry
import CorralSystem
import ShimCgroups
import Foundation
import GRPCNIOTransportHTTP2Posix
import Logging
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// A real corrald (the binary built next to this test bundle) on a temp root, state and
/// socket, with a CNI bridge and /24 of its own and the busybox test image in its store.
final class DaemonFixture: @unchecked Sendable {
    let dir: String
    let suffix: String
    let bridge: String
    let subnet: String
    let shimCallTimeout: String
    private(set) var pid: Int32 = 0
    private(set) var client: CRIClient!

    static var binDir: String { FileSystem.parent(of: FileSystem.currentExecutable) }
    static var available: Bool {
        getuid() == 0 && FileSystem.exists(binDir + "/corrald") && FileSystem.exists(binDir + "/corral-shim")
            && TestImage.available && FileSystem.exists("/usr/lib/cni/bridge") && FileSystem.exists("/usr/sbin/runc")
    }

    /// The driver of every fixture that names none: the guest runs suites a second time with
    /// CORRAL_TEST_CGROUP_DRIVER=systemd.
    static var defaultCgroupDriver: String {
        ProcessInfo.processInfo.environment["CORRAL_TEST_CGROUP_DRIVER"] ?? "cgroupfs"
    }

    var root: String { dir + "/root" }
    var state: String { dir + "/state" }
    var socket: String { dir + "/state/corral.sock" }
    var cniConfDir: String { dir + "/cni" }
    /// Searched for CNI plugins before Debian's, for plugins a test makes (one that hangs, say).
    var cniBinDir: String { dir + "/cni-bin" }
    var logDir: String { dir + "/logs" }
    var configPath: String { dir + "/config.toml" }
    /// The pods' cgroup parent: a path of its own, or with the systemd driver a slice as kubelet
    /// names one (`kubepods-besteffort-pod<uid>.slice`, nested by its dashes).
    var cgroupParent: String { systemdSlices ? "kubepods-besteffort-pod\(suffix).slice" : "/corral-test-" + suffix }
    let systemdSlices: Bool
    var daemonLog: String { dir + "/corrald.log" }

    /// Where the traced runtime (a wrapper of runc) writes a line per invocation: its arguments.
    var runtimeTrace: String { dir + "/runtime-calls" }

    /// `topLevelConfig` goes before the first table; `extraConfig` after the last. With
    /// `traceRuntime`, the runc handler is a wrapper that records each invocation in `runtimeTrace`,
    /// so that a test can tell which of runc's commands really ran.
    /// A second CNI network beside the first (its bridge and /24 of its own too), for pods that
    /// join more than one (`max_conf_num`).
    var secondBridge: String { "crx" + String(suffix.prefix(6)) }
    let secondSubnet: String

    init(shimCallTimeout: String = "10s", topLevelConfig: String = "", extraConfig: String = "",
         traceRuntime: Bool = false, shimPath: String = DaemonFixture.binDir + "/corral-shim",
         maxConfNum: Int = 1, runtimeRoot: String = "", cgroupDriver: String = DaemonFixture.defaultCgroupDriver) throws {
        var template = Array("/tmp/corral-d-XXXXXX".utf8CString)
        let made = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
        dir = String(cString: made!)
        // Searchable by anyone, as /run and /var/lib are: a user namespace's root reaches the
        // bundles through it.
        chmod(dir, 0o711)
        suffix = String(dir.suffix(6)).lowercased().filter { $0.isLetter || $0.isNumber }
        bridge = "crd" + String(suffix.prefix(6))
        subnet = "10.218.\(Int.random(in: 1...250)).0/24"
        secondSubnet = "10.219.\(Int.random(in: 1...250)).0/24"
        self.shimCallTimeout = shimCallTimeout
        systemdSlices = cgroupDriver == "systemd"
        for sub in ["root", "state", "cni", "cni-bin", "logs"] { try FileSystem.makeDirectories(dir + "/" + sub, mode: 0o755) }
        try writeNetwork()
        let second = """
            {"cniVersion": "1.0.0", "name": "corral-dtest2-\(suffix)", "plugins": [
              {"type": "bridge", "bridge": "\(secondBridge)", "isGateway": false, "ipMasq": false,
               "ipam": {"type": "host-local", "subnet": "\(secondSubnet)", "dataDir": "\(dir)/ipam2"}}]}
            """
        try second.write(toFile: cniConfDir + "/20-second.conflist", atomically: true, encoding: .utf8)
        var runc = "runc"
        if traceRuntime {
            runc = dir + "/runc-traced"
            try "#!/bin/sh\necho \"$*\" >> \(dir)/runtime-calls\nexec /usr/sbin/runc \"$@\"\n"
                .write(toFile: runc, atomically: true, encoding: .utf8)
            chmod(runc, 0o755)
        }
        let config = topLevelConfig + """
            cgroup_driver = "\(cgroupDriver)"
            root = "\(root)"
            state = "\(state)"
            socket = "\(socket)"
            shim_path = "\(shimPath)"

            [cni]
            conf_dir = "\(cniConfDir)"
            bin_dirs = ["\(cniBinDir)", "/usr/lib/cni"]
            max_conf_num = \(maxConfNum)

            [runtimes.runc]
            path = "\(runc)"
            root = "\(runtimeRoot)"

            [runtimes.crun]
            path = "crun"

            [timeouts]
            shim_call = "\(shimCallTimeout)"

            """ + extraConfig
        try config.write(toFile: configPath, atomically: true, encoding: .utf8)
    }

    /// The pods' first network: a bridge of the fixture's own and portmap, with `before` and
    /// then `plugins` (JSON objects), which a test adds to make the chain misbehave. Read by each new pod.
    func writeNetwork(before: [String] = [], appending plugins: [String] = []) throws {
        let conflist = """
            {"cniVersion": "1.0.0", "name": "corral-dtest-\(suffix)", "plugins": [\(before.map { $0 + ", " }.joined())
              {"type": "bridge", "bridge": "\(bridge)", "isGateway": true, "ipMasq": false,
               "ipam": {"type": "host-local", "subnet": "\(subnet)", "dataDir": "\(dir)/ipam"}},
              {"type": "portmap", "capabilities": {"portMappings": true}}\(plugins.map { ", " + $0 }.joined())]}
            """
        try conflist.write(toFile: cniConfDir + "/10-test.conflist", atomically: true, encoding: .utf8)
    }

    /// Puts the test image in the daemon's store before it starts, as `corralctl images import` would.
    func importImage() async throws {
        let layout = try TestImage.prepare()
        let store = try ImageStore(root: root, registry: RegistryConfiguration(), logger: Logger(label: "test"))
        _ = try await store.importLayout(path: layout, defaultName: "docker.io/library/busybox")
    }

    /// Starts corrald (with the test image in its store the first time) and waits until it answers Version.
    /// `environment` is added to the test's own; `wrapper` runs before corrald (e.g.
    /// systemd-socket-activate and its arguments).
    func start(environment: [String] = [], wrapper: [String] = []) async throws {
        if !FileSystem.exists(root + "/images.db") { try await importImage() }
        let log = try FileDescriptor.open(daemonLog, O_WRONLY | O_CREAT | O_APPEND, mode: 0o644)
        defer { log.close() }
        let command = wrapper + [Self.binDir + "/corrald", "--config", configPath, "--log-level", "debug"]
        pid = try Spawn.run(command[0], arguments: command,
                            environment: environment.isEmpty ? nil : Environment.current + environment,
                            stdio: .init(stdin: nil, stdout: log, stderr: log))
        let deadline = ContinuousClock.now + .seconds(30)
        while ContinuousClock.now < deadline {
            if FileSystem.exists(socket) {
                let candidate = try CRIClient(socket: socket)
                if (try? await candidate.runtime.version(.init())) != nil {
                    client = candidate
                    return
                }
                candidate.close()
            }
            var status: Int32 = 0
            if waitpid(pid, &status, WNOHANG) == pid {
                throw TestFailure("corrald exited (status \(status)) at start: \(tail(daemonLog))")
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw TestFailure("corrald did not answer within 30s: \(tail(daemonLog))")
    }

    /// kill -9: what a crash or an OOM kill does to the daemon.
    func crash() async {
        client?.close()
        client = nil
        kill(pid, SIGKILL)
        _ = await BlockingWork.run { [pid] in try? ProcessControl.wait(for: pid) }
    }

    /// Sends SIGTERM without closing the test's connection (calls in flight go on), and waits up
    /// to `limit` for corrald to exit: its wait status, or nil if it is still running.
    func terminate(within limit: Duration = .seconds(15)) async -> Int32? {
        kill(pid, SIGTERM)
        let deadline = ContinuousClock.now + limit
        var status: Int32 = 0
        while ContinuousClock.now < deadline {
            if waitpid(pid, &status, WNOHANG) == pid {
                pid = 0
                client?.close()
                client = nil
                return status
            }
            try? await Task.sleep(for: .milliseconds(50))
        }
        return nil
    }

    /// Waits until the daemon's log holds `text`.
    func waitForLog(_ text: String, timeout: Duration = .seconds(20)) async throws {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if ((try? String(contentsOfFile: daemonLog, encoding: .utf8)) ?? "").contains(text) { return }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw TestFailure("corrald's log never said \"\(text)\": \(tail(daemonLog))")
    }

    func stop() async {
        client?.close()
        client = nil
        guard pid > 0 else { return }
        kill(pid, SIGTERM)
        // A daemon that does not stop within 15 s fails the test instead of hanging it.
        var status: Int32 = 0
        for _ in 0..<300 where waitpid(pid, &status, WNOHANG) == 0 {
            try? await Task.sleep(for: .milliseconds(50))
        }
        if waitpid(pid, &status, WNOHANG) == 0 {
            Issue.record("corrald did not stop within 15 s of SIGTERM")
            kill(pid, SIGKILL)
            _ = await BlockingWork.run { [pid] in try? ProcessControl.wait(for: pid) }
        }
        pid = 0
    }

    var runtime: Runtime_V1_RuntimeService.Client<GRPCNIOTransportHTTP2Posix.HTTP2ClientTransport.Posix> { client.runtime }

    // MARK: requests

    func podConfig(_ name: String, attempt: UInt32 = 0) -> Runtime_V1_PodSandboxConfig {
        .with {
            $0.metadata = .with {
                $0.name = name
                $0.namespace = "default"
                $0.uid = "uid-\(name)-\(suffix)"
                $0.attempt = attempt
            }
            $0.hostname = name
            $0.logDirectory = logDir + "/" + name
            $0.linux.cgroupParent = cgroupParent
            $0.labels = ["test": suffix, "pod": name]
        }
    }

    func containerConfig(_ name: String, _ command: [String], attempt: UInt32 = 0) -> Runtime_V1_ContainerConfig {
        .with {
            $0.metadata = .with {
                $0.name = name
                $0.attempt = attempt
            }
            $0.image.image = "busybox"
            $0.command = command
            $0.logPath = "\(name)_\(attempt).log"
            $0.labels = ["container": name]
        }
    }

    /// What the container `name` (attempt 0) of the pod named `pod` has logged so far, CRI-formatted.
    func containerLog(pod: String, _ name: String) -> String {
        (try? FileSystem.readText(logDir + "/" + pod + "/" + name + "_0.log")) ?? ""
    }

    @discardableResult
    func runPod(_ name: String) async throws -> String {
        try await runtime.runPodSandbox(.with { $0.config = podConfig(name) }).podSandboxID
    }

    @discardableResult
    func runContainer(pod: String, _ name: String, _ command: [String]) async throws -> String {
        let config = podConfig(name == "" ? pod : pod)
        let created = try await runtime.createContainer(.with {
            $0.podSandboxID = pod
            $0.config = containerConfig(name, command)
            $0.sandboxConfig = config
        })
        _ = try await runtime.startContainer(.with { $0.containerID = created.containerID })
        return created.containerID
    }

    func containerState(_ id: String) async throws -> Runtime_V1_ContainerStatus {
        try await runtime.containerStatus(.with { $0.containerID = id }).status
    }

    /// Polls until the container has exited.
    func waitExited(_ id: String, timeout: Duration = .seconds(20)) async throws -> Runtime_V1_ContainerStatus {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            let status = try await containerState(id)
            if status.state == .containerExited { return status }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw TestFailure("container \(id) did not exit within \(timeout)")
    }

    /// Runs `body` against a started daemon, and always tears it down; then checks the host
    /// holds nothing of it.
    static func with(shimCallTimeout: String = "10s", topLevelConfig: String = "", extraConfig: String = "",
                     traceRuntime: Bool = false, maxConfNum: Int = 1, runtimeRoot: String = "",
                     cgroupDriver: String = DaemonFixture.defaultCgroupDriver,
                     _ body: (DaemonFixture) async throws -> Void) async throws {
        let daemon = try DaemonFixture(shimCallTimeout: shimCallTimeout, topLevelConfig: topLevelConfig,
                                       extraConfig: extraConfig, traceRuntime: traceRuntime, maxConfNum: maxConfNum,
                                       runtimeRoot: runtimeRoot, cgroupDriver: cgroupDriver)
        do {
            try await daemon.start()
            try await body(daemon)
        } catch {
            await daemon.tearDown()
            throw error
        }
        await daemon.tearDown()
    }

    /// Stops and removes every pod through the CRI, stops corrald, deletes the bridge and the dir.
    func tearDown() async {
        if let client {
            if let pods = try? await client.runtime.listPodSandbox(.init()) {
                for pod in pods.items {
                    _ = try? await client.runtime.stopPodSandbox(.with { $0.podSandboxID = pod.id })
                    _ = try? await client.runtime.removePodSandbox(.with { $0.podSandboxID = pod.id })
                }
            }
        }
        await stop()
        if let keep = ProcessInfo.processInfo.environment["CORRAL_TEST_KEEP_LOGS"] {
            try? FileManager.default.createDirectory(atPath: keep, withIntermediateDirectories: true)
            try? FileManager.default.copyItem(atPath: daemonLog, toPath: keep + "/corrald-\(suffix).log")
        }
        _ = try? TestImage.run("/sbin/ip", ["link", "del", bridge])
        _ = try? TestImage.run("/sbin/ip", ["link", "del", secondBridge])
        for mount in mounts().reversed() { _ = Mounts.unmount(mount) }
        // The pods' cgroup parent, which the runtime made in every hierarchy and leaves behind
        // (rmdir(2) refuses one still in use).
        if systemdSlices {
            _ = try? TestImage.run("/usr/bin/systemctl", ["stop", cgroupParent])
        } else if FileSystem.exists("/sys/fs/cgroup/cgroup.controllers") {
            _ = rmdir("/sys/fs/cgroup" + cgroupParent)
        } else {
            for hierarchy in (try? FileManager.default.contentsOfDirectory(atPath: "/sys/fs/cgroup")) ?? [] {
                _ = rmdir("/sys/fs/cgroup/" + hierarchy + cgroupParent)
            }
        }
        FileSystem.removeTree(dir)
    }

    // MARK: what is left on the host

    func mounts() -> [String] {
        // Read to the end (procfs files report no size, and Foundation's read stops short) and
        // decoded leniently (one mount point that is not UTF-8 would fail a strict decode).
        ((try? FileSystem.readText("/proc/self/mountinfo")) ?? "")
            .split(separator: "\n").map { String($0.split(separator: " ")[4]) }.filter { $0.hasPrefix(dir) }
    }

    /// The directories of the pods' cgroup parent, in every hierarchy.
    var podCgroupParents: [String] {
        if FileSystem.exists("/sys/fs/cgroup/cgroup.controllers") {
            return ["/sys/fs/cgroup" + (SystemdSlice.path(of: cgroupParent) ?? cgroupParent)]
        }
        return ["memory", "cpu,cpuacct", "pids", "devices", "freezer", "blkio", "cpuset", "systemd"].map { "/sys/fs/cgroup/" + $0 + cgroupParent }
    }

    /// Mounts, veths, cgroups and processes under this fixture's names; not the read-only mount
    /// of the shim binary, which is the running daemon's own (and goes when it stops).
    func leftovers() -> [String] {
        var found = mounts().filter { $0 != state + "/bin/corral-shim" }.map { "mount " + $0 }
        for bridge in [bridge, secondBridge] {
            if let links = try? TestImage.run("/sbin/ip", ["-o", "link", "show", "master", bridge]) {
                found += links.split(separator: "\n").map { "link " + $0.prefix(40) }
            }
        }
        for path in podCgroupParents {
            for child in (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
                where FileManager.default.fileExists(atPath: path + "/" + child + "/cgroup.procs") {
                found.append("cgroup \(path)/\(child)")
            }
        }
        for entry in (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? [] where Int(entry) != nil {
            if let cmdline = try? String(contentsOfFile: "/proc/\(entry)/cmdline", encoding: .utf8),
               cmdline.contains(dir), !cmdline.hasPrefix(Self.binDir + "/corrald") {
                found.append("process \(entry) " + cmdline.replacingOccurrences(of: "\0", with: " "))
            }
        }
        return found
    }

    /// The shim processes that are there in two looks 300 ms apart. A shim forking to start runc or an
    /// exec shows for a moment as a second process with the shim's own command line; CI once caught one.
    func settledShimProcesses() async -> Set<String> {
        let shims = { Set(self.leftovers().filter { $0.contains("corral-shim") }) }
        let first = shims()
        try? await Task.sleep(for: .milliseconds(300))
        return first.intersection(shims())
    }

    /// The runc commands the traced runtime ran, in order ("create", "start", "exec", ...).
    func runtimeCommands() -> [String] {
        ((try? String(contentsOfFile: runtimeTrace, encoding: .utf8)) ?? "").split(separator: "\n").compactMap { line in
            // --root DIR [--log FILE --log-format json] COMMAND ...
            var words = line.split(separator: " ").map(String.init)[...]
            while let word = words.first, word.hasPrefix("--") {
                words = words.dropFirst(word == "--root" || word == "--log" || word == "--log-format" ? 2 : 1)
            }
            return words.first
        }
    }

    private func tail(_ path: String) -> String {
        String(((try? String(contentsOfFile: path, encoding: .utf8)) ?? "").suffix(2000))
    }
}
