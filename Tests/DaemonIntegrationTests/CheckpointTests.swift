import CRIAPI
import CorralSystem
import Foundation
import GRPCCore
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The CRIU the host has for checkpoints: `CORRAL_TEST_CRIU` (a newer build than the
/// distribution's, say), else criu on PATH; usable when `criu check` passes.
enum HostCRIU {
    static let configured = ProcessInfo.processInfo.environment["CORRAL_TEST_CRIU"]
    static let path: String = configured ?? Spawn.resolve("criu")
    static var installed: Bool { path.hasPrefix("/") && access(path, X_OK) == 0 }
    /// The daemon's criu_path: the one the test was given, else none (criu on PATH).
    static var config: String { configured.map { "criu_path = \"\($0)\"\n" } ?? "" }

    static let works: Bool = {
        guard installed else { return false }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = ["check"]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        do { try process.run() } catch { return false }
        process.waitUntilExit()
        return process.terminationStatus == 0
    }()
}

/// kubelet's forensic checkpoint (CheckpointContainer): an archive of a running container in
/// CRI-O's layout, the container still running afterwards; FAILED_PRECONDITION without a usable
/// CRIU, and nothing at the location whenever it fails.
@Suite("CRI CheckpointContainer", .serialized, .enabled(if: DaemonFixture.available))
struct CheckpointTests {
    static let counter = ["sh", "-c", "i=0; while true; do i=$((i+1)); echo $i > /tmp/count; sleep 0.1; done"]

    /// The counter the container keeps in /tmp/count. The shell truncates the file before each
    /// write, so a read can find it empty: read again then.
    static func count(_ daemon: DaemonFixture, _ id: String) async throws -> Int {
        for _ in 0..<20 {
            let exec = try await daemon.runtime.execSync(.with { $0.containerID = id; $0.cmd = ["cat", "/tmp/count"]; $0.timeout = 10 })
            if let value = Int(String(decoding: exec.stdout, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)) {
                return value
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        return -1
    }

    /// Running, and counting on: the checkpoint left it as it was.
    static func expectRunningOn(_ daemon: DaemonFixture, _ id: String) async throws {
        #expect(try await daemon.containerState(id).state == .containerRunning)
        // A container just started on a busy machine may not have written its first count yet.
        var before = try await count(daemon, id)
        let deadline = ContinuousClock.now + .seconds(10)
        while before <= 0, ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(100))
            before = try await count(daemon, id)
        }
        try await Task.sleep(for: .milliseconds(600))
        let after = try await count(daemon, id)
        #expect(before > 0 && after > before, "the counter went from \(before) to \(after)")
    }

    static func checkpoint(_ daemon: DaemonFixture, _ id: String, to location: String, timeout: Int64 = 0) async throws {
        _ = try await daemon.runtime.checkpointContainer(.with {
            $0.containerID = id
            $0.location = location
            $0.timeout = timeout
        })
    }

    static func failure(_ body: () async throws -> Void) async -> RPCError? {
        do {
            try await body()
            return nil
        } catch let error as RPCError {
            return error
        } catch {
            Issue.record("not a gRPC status: \(error)")
            return nil
        }
    }

    static func tar(_ arguments: [String]) throws -> String {
        try TestImage.run("/bin/tar", arguments)
    }

    @Test("a running container's archive: CRIU images, spec, config, rootfs diff and log; it runs on",
          .enabled(if: HostCRIU.works))
    func checkpointsARunningContainer() async throws {
        try await DaemonFixture.with(topLevelConfig: HostCRIU.config) { daemon in
            let pod = try await daemon.runPod("ckpt")
            let ctr = try await daemon.runContainer(pod: pod, "counter", Self.counter)
            try await Task.sleep(for: .milliseconds(500))
            let location = daemon.dir + "/checkpoint-ckpt_default-counter-now.tar"
            try await Self.checkpoint(daemon, ctr, to: location)

            let names = Set(try Self.tar(["-tf", location]).split(separator: "\n").map(String.init))
            for name in ["config.dump", "spec.dump", "checkpoint/", "checkpoint/inventory.img", "checkpoint/pstree.img",
                         "rootfs-diff.tar", "dump.log", "container.log"] {
                #expect(names.contains(name), "\(name) is not in the archive: \(names.sorted())")
            }
            var info = stat()
            #expect(stat(location, &info) == 0 && info.st_mode & 0o777 == 0o600)
            let config = try JSONSerialization.jsonObject(with: Data(try Self.tar(["-xOf", location, "config.dump"]).utf8)) as? [String: Any]
            #expect(config?["id"] as? String == ctr)
            #expect((config?["name"] as? String)?.hasPrefix("counter_ckpt_default_") == true)
            #expect(config?["rootfsImage"] as? String == "busybox")
            #expect(config?["runtime"] as? String == "runc")
            let spec = try JSONSerialization.jsonObject(with: Data(try Self.tar(["-xOf", location, "spec.dump"]).utf8)) as? [String: Any]
            #expect((spec?["process"] as? [String: Any])?["args"] as? [String] == Self.counter)
            let diff = daemon.dir + "/rootfs-diff.tar"
            _ = try Self.tar(["-xf", location, "-C", daemon.dir, "rootfs-diff.tar"])
            #expect(try Self.tar(["-tf", diff]).split(separator: "\n").contains("tmp/count"))
            // Nothing else beside the archive: no temporary file left.
            #expect(try FileSystem.listDirectory(daemon.dir).filter { $0.contains("checkpoint-ckpt") } == ["checkpoint-ckpt_default-counter-now.tar"])
            try await Self.expectRunningOn(daemon, ctr)
        }
    }

    @Test("unknown or empty ids, bad locations and stopped containers get the status kubelet acts on")
    func badRequests() async throws {
        try await DaemonFixture.with { daemon in
            let pod = try await daemon.runPod("ckpt-bad")
            let running = try await daemon.runContainer(pod: pod, "counter", Self.counter)
            let exited = try await daemon.runContainer(pod: pod, "done", ["true"])
            _ = try await daemon.waitExited(exited)
            let location = daemon.dir + "/bad.tar"
            let cases: [(String, String, String, RPCError.Code, String)] = [
                ("unknown id", "nosuchcontainer", location, .notFound, "nosuchcontainer"),
                ("empty id", "", location, .invalidArgument, "container id"),
                ("empty location", running, "", .invalidArgument, "location"),
                ("relative location", running, "checkpoint.tar", .invalidArgument, "checkpoint.tar"),
                ("missing directory", running, daemon.dir + "/none/x.tar", .invalidArgument, "/none/x.tar"),
                ("exited container", exited, location, .failedPrecondition, exited),
            ]
            for (name, id, path, code, mentions) in cases {
                let error = await Self.failure { try await Self.checkpoint(daemon, id, to: path) }
                #expect(error?.code == code, "\(name): \(error.map { "\($0.code): \($0.message)" } ?? "succeeded")")
                #expect(error?.message.contains(mentions) == true, "\(name): \(error?.message ?? "")")
            }
            #expect(!FileSystem.exists(location))
            try await Self.expectRunningOn(daemon, running)
        }
    }

    /// A checkpoint of a running counter refused with FAILED_PRECONDITION, its message holding
    /// each of `mentions`; nothing at the location or beside it, the container running on.
    static func expectNoCRIU(_ daemon: DaemonFixture, mentions: [String]) async throws {
        let pod = try await daemon.runPod("ckpt-nocriu")
        let ctr = try await daemon.runContainer(pod: pod, "counter", Self.counter)
        let location = daemon.dir + "/checkpoint.tar"
        let error = await Self.failure { try await Self.checkpoint(daemon, ctr, to: location) }
        #expect(error?.code == .failedPrecondition)
        for word in mentions + [ctr] {
            #expect(error?.message.contains(word) == true, "\(word) is not in \(error?.message ?? "no error")")
        }
        #expect(try FileSystem.listDirectory(daemon.dir).filter { $0.contains("checkpoint") }.isEmpty)
        try await Self.expectRunningOn(daemon, ctr)
    }

    @Test("no CRIU binary: FAILED_PRECONDITION saying so, nothing at the location, the container running on")
    func missingCRIU() async throws {
        try await DaemonFixture.with(topLevelConfig: "criu_path = \"/nonexistent/sbin/criu\"\n") { daemon in
            try await Self.expectNoCRIU(daemon, mentions: ["CRIU", "/nonexistent/sbin/criu"])
        }
    }

    /// Debian 12's CRIU (3.17) on a kernel of 6.13 or later: the kernel split the vDSO's data
    /// pages into [vvar] and [vvar_vclock], which CRIU learnt in 4.1, so `criu check` fails.
    @Test("the host's CRIU, found on PATH, fails its check: FAILED_PRECONDITION with its error",
          .enabled(if: HostCRIU.configured == nil && HostCRIU.installed && !HostCRIU.works))
    func hostCRIUFailingItsCheck() async throws {
        try await DaemonFixture.with { daemon in
            try await Self.expectNoCRIU(daemon, mentions: [HostCRIU.path + " check", "Error"])
        }
    }

    /// Runs `body` against a daemon whose criu_path is a stand-in for criu: `check` fails with
    /// CRIU's kind of error line when `fail-check` exists in `dir` (`failingCheck` makes it);
    /// anything else (runc runs `criu swrk` to dump) hangs for 4 s and fails.
    static func withFakeCRIU(failingCheck: Bool, _ body: (_ daemon: DaemonFixture, _ dir: String) async throws -> Void) async throws {
        let dir = "/tmp/corral-fake-criu-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        try FileSystem.makeDirectories(dir, mode: 0o755)
        defer { FileSystem.removeTree(dir) }
        let path = dir + "/criu"
        try """
            #!/bin/sh
            if [ "$1" = check ]; then
                if [ -e \(dir)/fail-check ]; then echo "Error (criu/vdso.c:381): vdso: Unexpected rt vDSO area bounds" >&2; exit 1; fi
                echo "Looks good."; exit 0
            fi
            sleep 7; exit 1

            """.write(toFile: path, atomically: true, encoding: .utf8)
        chmod(path, 0o755)
        if failingCheck { try "".write(toFile: dir + "/fail-check", atomically: true, encoding: .utf8) }
        try await DaemonFixture.with(topLevelConfig: "criu_path = \"\(path)\"\n") { try await body($0, dir) }
    }

    @Test("a CRIU whose check fails: FAILED_PRECONDITION with CRIU's own error, nothing written")
    func failingCRIUCheck() async throws {
        try await Self.withFakeCRIU(failingCheck: true) { daemon, _ in
            try await Self.expectNoCRIU(daemon, mentions: ["check", "vDSO area bounds"])
        }
    }

    @Test("a checkpoint past its timeout: DEADLINE_EXCEEDED, and once the dump gives up the container runs on, unpaused, with nothing written")
    func deadline() async throws {
        try await Self.withFakeCRIU(failingCheck: false) { daemon, dir in
            let pod = try await daemon.runPod("ckpt-slow")
            let ctr = try await daemon.runContainer(pod: pod, "counter", Self.counter)
            let location = daemon.dir + "/checkpoint.tar"
            let started = ContinuousClock.now
            let error = await Self.failure { try await Self.checkpoint(daemon, ctr, to: location, timeout: 1) }
            #expect(error?.code == .deadlineExceeded, "\(error.map { "\($0.code): \($0.message)" } ?? "succeeded")")
            #expect(error?.message.contains(ctr) == true)
            // Answered at the 1 s deadline, well before the dump's 7 s (room for a busy machine).
            #expect(ContinuousClock.now - started < .seconds(5))
            // The fake dump hangs 7 s; then runc fails, and the shim resumes the container.
            try await Task.sleep(for: .seconds(7.5))
            #expect(!FileSystem.exists(location))
            #expect(try FileSystem.listDirectory(daemon.dir).filter { $0.contains("checkpoint") }.isEmpty)
            try await Self.expectRunningOn(daemon, ctr)
            // And it can be checkpointed again: the first attempt left nothing in the way.
            try "".write(toFile: dir + "/fail-check", atomically: true, encoding: .utf8)
            let again = await Self.failure { try await Self.checkpoint(daemon, ctr, to: location) }
            #expect(again?.code == .failedPrecondition, "\(again?.message ?? "")")
        }
    }
}
