import CRIAPI
import CorralSystem
import Foundation
import StreamingTestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// A container that attacks the execs made into it, as CVE-2024-21626 ("Leaky Vessels") did to
/// runc: its working dir becomes a symlink to /proc/self/fd/N, which an exec resolves through
/// the descriptors of whoever starts it. Every exec kubelet can make (ExecSync for probes,
/// streaming exec with and without a terminal) is tried for every N, through the shim's own
/// exec and through `runc exec`; none may ever read a file at the host's root.
@Suite("hostile containers: execs never reach the host", .serialized, .enabled(if: DaemonFixture.available))
struct HostileExecTests {
    /// How an exec was made.
    enum Kind: String, CaseIterable, Sendable { case execSync, stream, streamTTY }

    /// What came back from one exec: everything it printed, and whether it ran at all.
    struct Outcome {
        var text: String
        var started: Bool
    }

    @Test("the working dir relinked to /proc/self/fd/3…64: no exec reads the host", arguments: [false, true])
    func workingDirThroughDescriptors(viaRuntime: Bool) async throws {
        let marker = try HostMarker()
        defer { marker.remove() }
        try await DaemonFixture.with(topLevelConfig: viaRuntime ? "exec_via_runtime = true\n" : "", traceRuntime: true) { daemon in
            let (pod, container) = try await daemon.runHostileContainer(["sleep", "3600"], workingDir: "/w")
            _ = pod
            let initPID = try await daemon.initPID(of: container)
            var escapes: [String] = []
            var started = 0
            var execs = 0
            for n in 3...64 {
                try relinkWorkingDir(of: initPID, to: "/proc/self/fd/\(n)")
                for kind in Kind.allCases {
                    let outcome = try await daemon.exec(container, ["cat", marker.relativePath], kind)
                    execs += 1
                    if outcome.started { started += 1 }
                    if outcome.text.contains(marker.secret) { escapes.append("fd \(n) via \(kind): \(outcome.text.prefix(200))") }
                }
            }
            #expect(escapes.isEmpty, "execs read the host's marker: \(escapes)")
            // The cwd each exec resolved is never a directory of the container (no descriptor it
            // holds is one), so not one of them may have started.
            #expect(started == 0, "\(started) of \(execs) execs started with the relinked working dir")
            // The container itself is untouched and still takes execs once its working dir is back.
            try relinkWorkingDir(of: initPID, to: nil)
            for kind in Kind.allCases {
                let fine = try await daemon.exec(container, ["echo", "inside"], kind)
                #expect(fine.started && fine.text.contains("inside"), "\(kind): \(fine.text)")
            }
            // Which path ran: runc saw an exec for each of them, or for none.
            let runcExecs = daemon.runtimeCommands().filter { $0 == "exec" }.count
            #expect(runcExecs == (viaRuntime ? execs + Kind.allCases.count : 0), "runc exec ran \(runcExecs) times")
        }
    }

    @Test("an exec holds only its stdio and has exactly the confinement of the container's PID 1", arguments: [false, true])
    func execsHoldOnlyStdio(viaRuntime: Bool) async throws {
        try await DaemonFixture.with(topLevelConfig: viaRuntime ? "exec_via_runtime = true\n" : "", traceRuntime: true) { daemon in
            let (_, container) = try await daemon.runHostileContainer(["sleep", "3600"], workingDir: "/", seccomp: true)
            if daemon.systemdSlices {
                // The guest's second pass: the container really is in a scope of systemd's.
                let cgroup = try FileSystem.readText("/proc/\(try await daemon.initPID(of: container))/cgroup")
                #expect(cgroup.contains("/corral-\(container).scope"), "\(cgroup)")
            }
            for kind in Kind.allCases {
                let listing = try await daemon.exec(container, ["ls", "-l", "/proc/self/fd"], kind)
                #expect(listing.started, "\(kind): \(listing.text)")
                // ls may still hold the directory it lists; nothing else beyond stdio.
                let fds = Self.descriptors(inListing: listing.text)
                    .filter { !($0.key > 2 && $0.value.hasPrefix("/proc/") && $0.value.hasSuffix("/fd")) }
                #expect(fds.keys.sorted() == [0, 1, 2], "\(kind): descriptors \(fds)")
                // And stdio is the shim's pipes, /dev/null or the container's pty: never a file of the host.
                let hostFiles = fds.values.filter { !$0.hasPrefix("pipe:[") && $0 != "/dev/null" && !$0.hasPrefix("/dev/pts/") }
                #expect(hostFiles.isEmpty, "\(kind): stdio \(fds)")

                let status = try await daemon.exec(container, ["cat", "/proc/1/status", "/proc/self/status"], kind)
                let (theirs, mine) = Self.confinement(inStatuses: status.text)
                #expect(!theirs.isEmpty && theirs == mine, "\(kind): PID 1 \(theirs), exec \(mine)")
                #expect(mine.contains { $0.hasPrefix("Seccomp:") && $0.hasSuffix("2") }, "\(kind): \(mine)")

                let cgroups = try await daemon.exec(container, ["cat", "/proc/1/cgroup", "/proc/self/cgroup"], kind)
                let lines = cgroups.text.split(whereSeparator: \.isNewline).map(String.init)
                    .filter { $0.first?.isNumber == true && $0.contains(":/") }
                #expect(lines.count >= 2 && lines.count % 2 == 0, "\(kind): \(cgroups.text)")
                #expect(Array(lines.prefix(lines.count / 2)) == Array(lines.suffix(lines.count / 2)), "\(kind): \(cgroups.text)")
            }
            let runcExecs = daemon.runtimeCommands().filter { $0 == "exec" }.count
            #expect(runcExecs == (viaRuntime ? 3 * Kind.allCases.count : 0), "runc exec ran \(runcExecs) times")
        }
    }

    /// The other half of CVE-2024-21626: a pod spec whose working dir is /proc/self/fd/N, which
    /// runc create resolves itself. Whatever runc holds, the shim hands it nothing beyond stdio.
    @Test("a container whose working dir is /proc/self/fd/N never starts outside its root")
    func containerWorkingDirThroughDescriptors() async throws {
        let marker = try HostMarker()
        defer { marker.remove() }
        try await DaemonFixture.with { daemon in
            let pod = try await daemon.runtime.runPodSandbox(.with { $0.config = daemon.hostilePodConfig("leaky") }).podSandboxID
            var escapes: [String] = []
            for n in 3...12 {
                var config = daemon.containerConfig("leaky-\(n)", ["cat", marker.relativePath])
                config.workingDir = "/proc/self/fd/\(n)"
                config.logPath = "leaky-\(n).log"
                do {
                    _ = try await daemon.startContainer(pod: pod, podConfig: daemon.hostilePodConfig("leaky"), config)
                } catch {
                    continue  // refused: what runc does with a working dir it cannot enter
                }
                try await Task.sleep(for: .milliseconds(300))
                let log = (try? String(contentsOfFile: daemon.logDir + "/leaky/leaky-\(n).log", encoding: .utf8)) ?? ""
                if log.contains(marker.secret) { escapes.append("fd \(n): \(log.prefix(200))") }
            }
            #expect(escapes.isEmpty, "containers read the host's marker: \(escapes)")
        }
    }

    /// `ls -l` lines "… N -> TARGET", as a map from N to TARGET.
    static func descriptors(inListing text: String) -> [Int: String] {
        var found: [Int: String] = [:]
        for line in text.split(whereSeparator: \.isNewline) {
            guard let arrow = line.range(of: " -> ") else { continue }
            let before = line[..<arrow.lowerBound].split(separator: " ")
            if let last = before.last, let fd = Int(last) { found[fd] = String(line[arrow.upperBound...]) }
        }
        return found
    }

    /// The confinement lines of two /proc/PID/status files printed one after the other.
    static func confinement(inStatuses text: String) -> (first: [String], second: [String]) {
        let keys = ["NoNewPrivs:", "Seccomp:", "Seccomp_filters:", "CapInh:", "CapPrm:", "CapEff:", "CapBnd:", "CapAmb:"]
        var files: [[String]] = []
        for line in text.split(whereSeparator: \.isNewline).map(String.init) {
            if line.hasPrefix("Name:") { files.append([]) }
            if keys.contains(where: { line.hasPrefix($0) }) && !files.isEmpty {
                files[files.count - 1].append(line.trimmingCharacters(in: .whitespaces))
            }
        }
        return (files.first ?? [], files.count > 1 ? files[1] : [])
    }
}

/// A file at the host's root holding a secret: what an escaped exec would read.
struct HostMarker {
    let name = "corral-escape-marker-" + uniqueNumber()
    let secret = "corral-host-secret-" + uniqueNumber() + uniqueNumber()

    init() throws {
        try secret.write(toFile: "/" + name, atomically: false, encoding: .utf8)
    }

    /// The marker reached by climbing from any working dir: within a container's root, `..`
    /// stops at the root, where no such file is.
    var relativePath: String { String(repeating: "../", count: 24) + name }

    func remove() {
        unlink("/" + name)
    }
}

/// Replaces the container's working dir (seen through its init's root) with a symlink to
/// `target`, or with a plain directory again when `target` is nil.
func relinkWorkingDir(of initPID: Int32, to target: String?) throws {
    let path = "/proc/\(initPID)/root/w"
    var info = stat()
    if lstat(path, &info) == 0 {
        if info.st_mode & S_IFMT == S_IFDIR {
            guard rmdir(path) == 0 else { throw TestFailure("rmdir \(path): \(errno)") }
        } else {
            guard unlink(path) == 0 else { throw TestFailure("unlink \(path): \(errno)") }
        }
    }
    if let target {
        guard symlink(target, path) == 0 else { throw TestFailure("symlink \(path): \(errno)") }
    } else {
        guard mkdir(path, 0o755) == 0 else { throw TestFailure("mkdir \(path): \(errno)") }
    }
}

extension DaemonFixture {
    /// A pod set up as kubelet sets one (a PID namespace per container) with one running container.
    func runHostileContainer(_ command: [String], workingDir: String, seccomp: Bool = false,
                             name: String = "hostile") async throws -> (pod: String, container: String) {
        var config = containerConfig("attacker", command)
        config.workingDir = workingDir
        if seccomp { config.linux.securityContext.seccomp = .with { $0.profileType = .runtimeDefault } }
        let (pod, container, _) = try await runPodWith(config, podName: name)
        return (pod, container)
    }

    /// The host pid of a container's init, from its verbose status.
    func initPID(of container: String) async throws -> Int32 {
        let status = try await runtime.containerStatus(.with {
            $0.containerID = container
            $0.verbose = true
        })
        let info = try JSONSerialization.jsonObject(with: Data((status.info["info"] ?? "{}").utf8)) as? [String: Any]
        guard let pid = info?["pid"] as? Int, pid > 0 else { throw TestFailure("no pid in \(status.info)") }
        return Int32(pid)
    }

    /// One exec of `command`, the way `kind` says; whatever it printed or failed with.
    func exec(_ container: String, _ command: [String], _ kind: HostileExecTests.Kind) async throws -> HostileExecTests.Outcome {
        switch kind {
        case .execSync:
            do {
                let response = try await runtime.execSync(.with {
                    $0.containerID = container
                    $0.cmd = command
                    $0.timeout = 20
                })
                return .init(text: String(decoding: response.stdout + response.stderr, as: UTF8.self), started: true)
            } catch {
                return .init(text: "\(error)", started: false)
            }
        case .stream, .streamTTY:
            let tty = kind == .streamTTY
            let url = try await execURL(container, command, tty: tty)
            let client = try #require(try await SPDYTestClient.connect(url).0)
            // kubectl's streams: with a terminal, a resize stream and no stderr.
            let streams = try await within { try await openExecStreams(client, stderr: !tty, resize: tty) }
            let (out, err, status) = try await within(30, "exec \(command) over SPDY") {
                let out = await streams["stdout"]!.readToEnd()
                let err = await streams["stderr"]?.readToEnd()
                return (out.bytes, err?.bytes ?? [], await streams["error"]!.readText())
            }
            await client.close()
            let text = String(decoding: out + err, as: UTF8.self) + status
            // A process that ran reports an exit code; one that never started, a failure.
            return .init(text: text, started: exitCode(ofStatus: status) != nil)
        }
    }
}

/// Whatever the shim or corrald opens is close-on-exec from the start, so that no descriptor of
/// theirs can reach a process they start (the shim's own execs close every descriptor anyway).
@Suite("descriptors of the shim and corrald", .serialized, .enabled(if: DaemonFixture.available))
struct DescriptorHygieneTests {
    /// Every descriptor above stdio that `pid` holds without O_CLOEXEC: its number and target.
    static func inheritable(by pid: Int32) -> [String] {
        let fds = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/fdinfo")) ?? []
        return fds.compactMap { name -> String? in
            guard let fd = Int(name), fd > 2, let info = try? String(contentsOfFile: "/proc/\(pid)/fdinfo/\(name)", encoding: .utf8),
                  let line = info.split(separator: "\n").first(where: { $0.hasPrefix("flags:") }),
                  let flags = Int(line.dropFirst("flags:".count).trimmingCharacters(in: .whitespaces), radix: 8) else { return nil }
            guard flags & Int(O_CLOEXEC) == 0 else { return nil }
            let target = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/fd/\(name)")) ?? "?"
            return "\(fd) -> \(target)"
        }
    }

    @Test func everyDescriptorIsCloseOnExec() async throws {
        try await DaemonFixture.with { daemon in
            let (pod, container) = try await daemon.runHostileContainer(["sleep", "3600"], workingDir: "/")
            // Exercise what opens descriptors: execs of every kind, logs, stats, a terminal.
            for kind in HostileExecTests.Kind.allCases {
                _ = try await daemon.exec(container, ["true"], kind)
            }
            _ = try await daemon.runtime.listContainerStats(.init())
            _ = try await daemon.runtime.reopenContainerLog(.with { $0.containerID = container })
            let shim = try await daemon.shimPID(of: pod)
            #expect(Self.inheritable(by: shim) == [], "the shim holds inheritable descriptors")
            // corrald: NIO opens its sockets and its epoll without close-on-exec (its Linux
            // accept4 passes SOCK_NONBLOCK alone), which is why every child corrald starts goes
            // through posix_spawn with closefrom(3). Nothing else may be inheritable: no file, no directory.
            let own = Self.inheritable(by: daemon.pid).filter { !$0.contains("socket:[") && !$0.contains("anon_inode:") }
            #expect(own == [], "corrald holds inheritable descriptors")
        }
    }
}

/// A pod sharing one PID namespace among its containers (shareProcessNamespace) has the shim's
/// init as its PID 1 instead of a pause container. Whatever a container can reach through
/// /proc/1 must hold nothing of the host: a container granted CAP_SYS_PTRACE passes the kernel's
/// checks on /proc/1/root, /proc/1/cwd and /proc/1/mem.
@Suite("the pod's PID 1", .serialized, .enabled(if: DaemonFixture.available))
struct PodInitConfinementTests {
    @Test func aContainerWithPtraceFindsNothingOfTheHostThroughPID1() async throws {
        let marker = try HostMarker()
        defer { marker.remove() }
        try await DaemonFixture.with { daemon in
            var config = daemon.containerConfig("tracer", ["sleep", "3600"])
            config.linux.securityContext.capabilities.addCapabilities = ["SYS_PTRACE"]
            let podConfig = daemon.hostilePodConfig("shared") { $0.linux.securityContext.namespaceOptions.pid = .pod }
            let pod = try await daemon.runtime.runPodSandbox(.with { $0.config = podConfig }).podSandboxID
            var shared = config
            shared.linux.securityContext.namespaceOptions.pid = .pod
            let created = try await daemon.runtime.createContainer(.with {
                $0.podSandboxID = pod
                $0.config = shared
                $0.sandboxConfig = podConfig
            })
            _ = try await daemon.runtime.startContainer(.with { $0.containerID = created.containerID })
            let container = created.containerID
            let probes: [(String, [String])] = [
                ("the marker through PID 1's root", ["cat", "/proc/1/root/" + marker.name]),
                ("the marker above PID 1's root", ["cat", "/proc/1/root/" + marker.relativePath]),
                ("the marker above PID 1's cwd", ["cat", "/proc/1/cwd/" + marker.relativePath]),
                ("PID 1's root", ["ls", "-a", "/proc/1/root/"]),
            ]
            for (what, command) in probes {
                let outcome = try await daemon.exec(container, command, .execSync)
                #expect(!outcome.text.contains(marker.secret), "\(what): \(outcome.text)")
                if what == "PID 1's root" {
                    let entries = outcome.text.split(whereSeparator: \.isNewline).filter { $0 != "." && $0 != ".." }
                    #expect(entries.isEmpty, "PID 1's root holds \(entries.prefix(10))")
                }
            }
            // PID 1 holds no capability and lives in the pod's network namespace, as a pause
            // container would, so that taking it over gains a container nothing.
            let status = try await daemon.exec(container, ["cat", "/proc/1/status"], .execSync)
            #expect(status.text.contains("CapEff:\t0000000000000000") && status.text.contains("CapBnd:\t0000000000000000"),
                    "\(status.text)")
            let namespaces = try await daemon.exec(container, ["sh", "-c", "readlink /proc/1/ns/net; readlink /proc/self/ns/net"], .execSync)
            let lines = namespaces.text.split(whereSeparator: \.isNewline)
            #expect(lines.count == 2 && lines.first == lines.last, "\(namespaces.text)")
        }
    }
}
