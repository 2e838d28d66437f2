import CRIAPI
import CorralSystem
import Foundation
import GRPCCore
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// What an operator does to a running corrald: stop it while kubelet's calls are in flight,
/// change its configuration with SIGHUP, and read its logs in the journal.
@Suite("corrald operations", .serialized, .enabled(if: DaemonFixture.available))
struct OperationsTests {
    @Test("SIGTERM lets a call in flight finish, refuses new ones, leaves the shim running and exits 0")
    func gracefulShutdown() async throws {
        let daemon = try DaemonFixture(extraConfig: "shutdown_grace = \"20s\"\n")
        do {
            try await daemon.start()
            let pod = try await daemon.runPod("draining")
            let ctr = try await daemon.runContainer(pod: pod, "app", ["sleep", "3600"])
            let runtime = daemon.runtime
            let exec = Task {
                try await runtime.execSync(.with {
                    $0.containerID = ctr
                    $0.cmd = ["sh", "-c", "sleep 2; echo finished"]
                    $0.timeout = 30
                })
            }
            // The instrumentation layer logs each call as it starts (the fixture runs at debug).
            try await daemon.waitForLog("rpc=ExecSync")
            let shims = await daemon.settledShimProcesses()
            #expect(!shims.isEmpty)

            kill(daemon.pid, SIGTERM)
            try await daemon.waitForLog("stopping: no new CRI calls")
            let late = try CRIClient(socket: daemon.socket)
            let refused = await statusCode(of: { _ = try await late.runtime.version(.init()) })
            late.close()
            #expect(refused != nil, "a new call was served after SIGTERM")

            let result = try await exec.value
            #expect(result.exitCode == 0)
            #expect(String(decoding: result.stdout, as: UTF8.self) == "finished\n")
            let status = await daemon.terminate()
            #expect(status == 0, "corrald's wait status after SIGTERM: \(String(describing: status))")
            #expect(await daemon.settledShimProcesses() == shims, "the shim did not outlive corrald")
            #expect(!daemon.mounts().contains(daemon.state + "/bin/corral-shim"), "corrald left its shim binary mounted")

            // The next corrald finds the pod and its container as they were.
            try await daemon.start()
            #expect(try await daemon.containerState(ctr).state == .containerRunning)
            let log = (try? String(contentsOfFile: daemon.daemonLog, encoding: .utf8)) ?? ""
            #expect(log.contains("stopped; the shims keep running"))
        } catch {
            await daemon.tearDown()
            throw error
        }
        await daemon.tearDown()
    }

    @Test("a call still running when shutdown_grace is up is cancelled, and corrald exits 0")
    func shutdownDeadline() async throws {
        let daemon = try DaemonFixture(extraConfig: "shutdown_grace = \"1s\"\n")
        do {
            try await daemon.start()
            let pod = try await daemon.runPod("deadline")
            let ctr = try await daemon.runContainer(pod: pod, "app", ["sleep", "3600"])
            let runtime = daemon.runtime
            let exec = Task {
                try await runtime.execSync(.with { $0.containerID = ctr; $0.cmd = ["sleep", "60"]; $0.timeout = 120 })
            }
            try await daemon.waitForLog("rpc=ExecSync")
            let started = ContinuousClock.now
            let status = await daemon.terminate(within: .seconds(20))
            #expect(status == 0, "corrald's wait status: \(String(describing: status))")
            // Generous: the grace is 1 s; anything near the exec's own 60 s means it was waited out.
            #expect(ContinuousClock.now - started < .seconds(20))
            let outcome = await exec.result
            #expect((try? outcome.get()) == nil, "the exec was not cut short")
            try await daemon.start()
            #expect(try await daemon.containerState(ctr).state == .containerRunning)
        } catch {
            await daemon.tearDown()
            throw error
        }
        await daemon.tearDown()
    }

    @Test("the CRI socket gets the configured mode and group; 0660 and root's group by default")
    func socketPermissions() async throws {
        for (extra, mode, gid) in [("", 0o660, 0), ("", 0o600, 1)] as [(String, Int, gid_t)] {
            let daemon = try DaemonFixture(extraConfig: extra)
            if mode != 0o660 {
                let config = try String(contentsOfFile: daemon.configPath, encoding: .utf8)
                try ("socket_mode = 0o600\nsocket_group = \"daemon\"\n" + config)
                    .write(toFile: daemon.configPath, atomically: true, encoding: .utf8)
            }
            do {
                try await daemon.start()
                var info = stat()
                #expect(stat(daemon.socket, &info) == 0)
                #expect(Int(info.st_mode & 0o777) == mode)
                #expect(info.st_gid == gid)
            } catch {
                await daemon.tearDown()
                throw error
            }
            await daemon.tearDown()
        }
    }

    @Test("SIGHUP applies new log levels, registry settings and pinned images, and names what needs a restart")
    func reloadOnSIGHUP() async throws {
        let before = """

            [log_levels]
            cri = "warning"

            [registry.mirrors."reload.test"]
            endpoints = ["http://127.0.0.1:1"]
            upstream = false
            """
        let daemon = try DaemonFixture(extraConfig: before)
        do {
            try await daemon.start()
            _ = try await daemon.runtime.version(.init())
            let firstPull = await pullError(daemon, "reload.test/app:1")
            #expect(firstPull.contains("127.0.0.1:1"), "\(firstPull)")
            var log = (try? String(contentsOfFile: daemon.daemonLog, encoding: .utf8)) ?? ""
            #expect(!log.contains("rpc=Version"), "cri logged at debug although log_levels.cri is warning")

            var config = try String(contentsOfFile: daemon.configPath, encoding: .utf8)
            config = config.replacingOccurrences(of: "cri = \"warning\"", with: "cri = \"debug\"")
                .replacingOccurrences(of: "http://127.0.0.1:1\"", with: "http://127.0.0.1:2\"")
                .replacingOccurrences(of: "shim_call = \"10s\"", with: "shim_call = \"11s\"")
                + "\n[images]\npinned = [\"busybox\"]\n"
            try config.write(toFile: daemon.configPath, atomically: true, encoding: .utf8)
            kill(daemon.pid, SIGHUP)
            try await daemon.waitForLog("configuration reloaded")

            _ = try await daemon.runtime.version(.init())
            let secondPull = await pullError(daemon, "reload.test/app:1")
            #expect(secondPull.contains("127.0.0.1:2"), "\(secondPull)")
            let images = try await daemon.client.images.listImages(.init()).images
            #expect(images.first { $0.repoTags.contains("docker.io/library/busybox:latest") }?.pinned == true)
            log = (try? String(contentsOfFile: daemon.daemonLog, encoding: .utf8)) ?? ""
            #expect(log.contains("rpc=Version"))
            #expect(log.contains("applied=log,registry,images.pinned"))
            #expect(log.contains("needs_restart=timeouts"))

            // A broken file changes nothing and says why.
            try "log_level = \"loud\"\n".write(toFile: daemon.configPath, atomically: true, encoding: .utf8)
            kill(daemon.pid, SIGHUP)
            try await daemon.waitForLog("reload failed; keeping the running configuration")
            _ = try await daemon.runtime.version(.init())
        } catch {
            await daemon.tearDown()
            throw error
        }
        await daemon.tearDown()
    }

    @Test("with log_target = journal, entries reach journald with POD_ID, METHOD and the subsystem as fields")
    func journalFields() async throws {
        let path = "/run/systemd/journal/socket"
        // A real journald owns the socket: leave it alone.
        if NotifySocket.isLive(path) { return }
        let madeDir = !FileSystem.exists("/run/systemd/journal")
        try FileSystem.makeDirectories("/run/systemd/journal", mode: 0o755)
        unlink(path)
        let journal = try NotifySocket(path: path, receiveBuffer: 1 << 20)
        defer {
            journal.close()
            unlink(path)
            if madeDir { rmdir("/run/systemd/journal") }
        }
        let daemon = try DaemonFixture()
        // A top-level key: it goes before the fixture's first table.
        let config = try String(contentsOfFile: daemon.configPath, encoding: .utf8)
        try ("log_target = \"journal\"\n" + config).write(toFile: daemon.configPath, atomically: true, encoding: .utf8)
        // Drained all along, as journald would: a full datagram queue blocks the sender.
        let drain = Task {
            var entries: [[String: String]] = []
            while !Task.isCancelled {
                entries += journal.receiveAll().map(Self.parseJournalEntry)
                try? await Task.sleep(for: .milliseconds(5))
            }
            return entries + journal.receiveAll().map(Self.parseJournalEntry)
        }
        do {
            try await daemon.start()
            let pod = try await daemon.runPod("journaled")
            _ = try await daemon.runtime.podSandboxStatus(.with { $0.podSandboxID = pod })
            // Back to stderr, so that the teardown's calls are not sent to a socket no one reads.
            let config = try String(contentsOfFile: daemon.configPath, encoding: .utf8)
            try config.replacingOccurrences(of: "log_target = \"journal\"", with: "log_target = \"stderr\"")
                .write(toFile: daemon.configPath, atomically: true, encoding: .utf8)
            kill(daemon.pid, SIGHUP)
            try await daemon.waitForLog("configuration reloaded")
            drain.cancel()
            let entries = await drain.value
            let entry = try #require(entries.first { $0["METHOD"] == "PodSandboxStatus" && $0["POD_ID"] == pod },
                                     "\(entries.count) entries")
            #expect(entry["SYSLOG_IDENTIFIER"] == "corrald")
            #expect(entry["CORRAL_SUBSYSTEM"] == "cri")
            #expect(entry["PRIORITY"] == "7")
            #expect(entry["REQUEST_ID"] != nil)
            #expect(entry["MESSAGE"]?.hasPrefix("cri: ") == true)
            #expect(entries.contains { $0["METHOD"] == "RunPodSandbox" })
            #expect(entries.contains { $0["CORRAL_SUBSYSTEM"] == "corrald" && $0["PRIORITY"] == "6" })
        } catch {
            drain.cancel()
            await daemon.tearDown()
            throw error
        }
        await daemon.tearDown()
    }

    /// journald's native datagram: `NAME=value` lines, or `NAME`, a little-endian 64-bit length
    /// and the value, for values with newlines.
    static func parseJournalEntry(_ datagram: String) -> [String: String] {
        var fields: [String: String] = [:]
        var rest = Substring(datagram)
        while let newline = rest.firstIndex(of: "\n") {
            let line = rest[..<newline]
            rest = rest[rest.index(after: newline)...]
            if let equals = line.firstIndex(of: "=") {
                fields[String(line[..<equals])] = String(line[line.index(after: equals)...])
            } else {
                let bytes = Array(rest.utf8)
                guard bytes.count >= 8 else { break }
                let length = bytes[0..<8].enumerated().reduce(0) { $0 | Int($1.element) << (8 * $1.offset) }
                guard bytes.count >= 8 + length else { break }
                fields[String(line)] = String(decoding: bytes[8..<(8 + length)], as: UTF8.self)
                rest = Substring(String(decoding: bytes[min(bytes.count, 9 + length)...], as: UTF8.self))
            }
        }
        return fields
    }

    private func pullError(_ daemon: DaemonFixture, _ image: String) async -> String {
        do {
            _ = try await daemon.client.images.pullImage(.with { $0.image.image = image })
            return "pulled"
        } catch let error as RPCError {
            return error.message
        } catch {
            return "\(error)"
        }
    }
}
