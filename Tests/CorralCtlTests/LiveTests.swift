import CorralSystem
import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The binaries built next to this test bundle.
enum Built {
    static var dir: String { FileSystem.parent(of: FileSystem.currentExecutable) }
    static var corralctl: String { dir + "/corralctl" }
    static var corrald: String { dir + "/corrald" }

    static func corralctl(_ arguments: [String]) async throws -> CommandResult {
        try await Command.run(corralctl, arguments: arguments)
    }
}

@Suite("corralctl on this machine")
struct LiveDoctorTests {
    /// Whether a process here may lower its oom_score_adj, asked of the kernel itself (a child
    /// shell tries, so this process keeps its score).
    static func canLowerOOMScore() async throws -> Bool {
        let result = try await Command.run("/bin/sh", arguments: ["-c", "echo -1 > /proc/self/oom_score_adj"])
        return result.status == .exited(0)
    }

    @Test(.enabled(if: FileSystem.exists(Built.corralctl) && getuid() == 0))
    func doctorReportsThisHost() async throws {
        let result = try await Built.corralctl(["doctor", "--output", "json"])
        let document = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout)) as? [String: Any])
        let checks = try #require(document["checks"] as? [[String: String]])
        let byName = Dictionary(uniqueKeysWithValues: checks.map { ($0["name"]!, $0) })
        // Exit status 1 exactly when some check failed.
        let failed = checks.contains { $0["status"] == "FAIL" }
        #expect(result.status == .exited(failed ? 1 : 0))
        #expect(document["ok"] as? Bool == !failed)

        let cgroups = try #require(byName["cgroups"])
        let hybrid = FileSystem.exists("/sys/fs/cgroup/unified/cgroup.controllers")
            && !FileSystem.exists("/sys/fs/cgroup/cgroup.controllers")
        if hybrid {
            #expect(cgroups["status"] == "WARN")
            #expect(cgroups["detail"]!.hasPrefix("hybrid"))
            #expect(cgroups["detail"]!.contains("/sys/fs/cgroup/unified"))
        }

        let oom = try #require(byName["oom_score_adj"])
        if try await !Self.canLowerOOMScore() {
            #expect(oom["status"] == "WARN")
            #expect(oom["detail"]!.contains("CAP_SYS_RESOURCE"))
            #expect(oom["detail"]!.contains("restrict_oom_score_adj"))
        } else {
            #expect(oom["status"] == "OK")
        }

        #expect(byName["root"]?["status"] == "OK")
        #expect(byName["runtime runc"]?["detail"]?.contains("runc ") == true)
        if let crun = byName["runtime crun"], hybrid, FileSystem.exists("/usr/bin/crun") {
            #expect(crun["detail"]!.contains("crun 1.") || crun["status"] == "OK")
        }
        print(try await Built.corralctl(["doctor"]).stdoutText)
    }
}

/// A corrald of its own on temp dirs, with a CNI config dir of its own.
final class TempDaemon: @unchecked Sendable {
    let dir: String
    private(set) var pid: pid_t = 0

    var socket: String { dir + "/state/corral.sock" }
    var endpoint: String { "unix://" + socket }
    var log: String { dir + "/corrald.log" }

    static var available: Bool {
        getuid() == 0 && FileSystem.exists(Built.corrald) && FileSystem.exists(Built.corralctl)
    }

    init() throws {
        var template = Array("/tmp/corralctl-t-XXXXXX".utf8CString)
        let made = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
        dir = String(cString: made!)
        for sub in ["root", "state", "cni"] { try FileSystem.makeDirectories(dir + "/" + sub, mode: 0o755) }
        let suffix = String(dir.suffix(6)).lowercased().filter { $0.isLetter || $0.isNumber }
        try FileSystem.writeAtomically(dir + "/cni/10-test.conflist", Array("""
            {"cniVersion": "1.0.0", "name": "corralctl-test-\(suffix)", "plugins": [
              {"type": "bridge", "bridge": "crc\(suffix.prefix(6))", "isGateway": true,
               "ipam": {"type": "host-local", "subnet": "10.219.\(Int.random(in: 1...250)).0/24", "dataDir": "\(dir)/ipam"}},
              {"type": "portmap", "capabilities": {"portMappings": true}}]}
            """.utf8))
        try FileSystem.writeAtomically(dir + "/config.toml", Array("""
            shim_path = "\(Built.dir)/corral-shim"

            [cni]
            conf_dir = "\(dir)/cni"
            bin_dirs = ["/usr/lib/cni", "/opt/cni/bin"]
            """.utf8))
    }

    func start() async throws {
        let logFile = try FileDescriptor.open(log, O_WRONLY | O_CREAT | O_APPEND, mode: 0o644)
        defer { logFile.close() }
        pid = try Spawn.run(Built.corrald, arguments: [Built.corrald, "--config", dir + "/config.toml",
                                                       "--root", dir + "/root", "--state", dir + "/state", "--socket", socket],
                            stdio: .init(stdin: nil, stdout: logFile, stderr: logFile))
        let deadline = ContinuousClock.now + .seconds(30)
        while ContinuousClock.now < deadline {
            if FileSystem.exists(socket), try await Built.corralctl(["--endpoint", endpoint, "info"]).status == .exited(0) {
                return
            }
            var status: Int32 = 0
            if waitpid(pid, &status, WNOHANG) == pid {
                pid = 0
                throw DaemonFailed(log: (try? FileSystem.readText(log)) ?? "")
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw DaemonFailed(log: "no answer within 30s: " + ((try? FileSystem.readText(log)) ?? ""))
    }

    func stop() async {
        if pid > 0 {
            kill(pid, SIGTERM)
            _ = await BlockingWork.run { [pid] in try? ProcessControl.wait(for: pid) }
            pid = 0
        }
        FileSystem.removeTree(dir)
    }

    static func with(_ body: (TempDaemon) async throws -> Void) async throws {
        let daemon = try TempDaemon()
        do {
            try await daemon.start()
            try await body(daemon)
        } catch {
            await daemon.stop()
            throw error
        }
        await daemon.stop()
    }

    struct DaemonFailed: Error, CustomStringConvertible {
        let log: String
        var description: String { "corrald did not come up: " + String(log.suffix(2000)) }
    }
}

@Suite("corralctl against a real corrald")
struct LiveDaemonTests {
    @Test(.enabled(if: TempDaemon.available))
    func infoPodsPsImages() async throws {
        try await TempDaemon.with { daemon in
            let info = try await Built.corralctl(["--endpoint", daemon.endpoint, "info"])
            #expect(info.status == .exited(0))
            #expect(info.stdoutText.contains("runtime        corral "))
            #expect(info.stdoutText.contains("cgroup driver  cgroupfs"))
            #expect(info.stdoutText.contains("RuntimeReady   true"))
            #expect(info.stdoutText.contains("NetworkReady   true"))
            #expect(info.stdoutText.contains(daemon.dir + "/cni"))

            let json = try await Built.corralctl(["info", "--endpoint", daemon.endpoint, "--output", "json"])
            let document = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout)) as? [String: Any])
            let conditions = try #require((document["status"] as? [String: Any])?["conditions"] as? [[String: Any]])
            #expect(conditions.map { $0["type"] as? String } == ["RuntimeReady", "NetworkReady"])
            #expect(conditions.allSatisfy { $0["status"] as? Bool == true })
            let config = (document["info"] as? [String: Any])?["config"] as? [String: Any]
            #expect(config?["defaultRuntime"] as? String == "runc")

            let pods = try await Built.corralctl(["--endpoint", daemon.endpoint, "pods"])
            #expect(pods.status == .exited(0))
            #expect(pods.stdoutText == "POD ID   CREATED   STATE   NAME   NAMESPACE   ATTEMPT   RUNTIME\n")
            let quiet = try await Built.corralctl(["--endpoint", daemon.endpoint, "pods", "-q", "--state", "ready"])
            #expect(quiet.status == .exited(0) && quiet.stdoutText.isEmpty)
            let podsJSON = try await Built.corralctl(["--endpoint", daemon.endpoint, "pods", "--output", "json"])
            #expect(podsJSON.stdoutText.contains(#""items" : ["#))

            let ps = try await Built.corralctl(["--endpoint", daemon.endpoint, "ps", "-a"])
            #expect(ps.stdoutText.hasPrefix("CONTAINER   IMAGE   CREATED   STATE"))
            let images = try await Built.corralctl(["--endpoint", daemon.endpoint, "images"])
            #expect(images.stdoutText == "IMAGE   TAG   IMAGE ID   SIZE\n")

            let missing = try await Built.corralctl(["--endpoint", daemon.endpoint, "inspect", "0123456789ab"])
            #expect(missing.status == .exited(1))
            #expect(missing.stderrText.contains("no container, pod or image \"0123456789ab\""))
        }
    }

    @Test(.enabled(if: FileSystem.exists(Built.corralctl)))
    func aMissingDaemonIsExplained() async throws {
        let result = try await Built.corralctl(["--endpoint", "unix:///tmp/corralctl-no-such-dir/corral.sock", "pods"])
        #expect(result.status == .exited(1))
        #expect(result.stderrText.contains("corrald is not running"))
        #expect(result.stderrText.contains("start it with scripts/run.sh or systemctl start corrald"))
    }
}
