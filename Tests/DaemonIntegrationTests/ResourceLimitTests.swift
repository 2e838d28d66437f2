import CRIAPI
import CorralSystem
import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The limits a pod asks for hold against a container that pushes past them, and nothing beside
/// it pays: memory (the kill reported as OOMKilled), CPU quota, and the pids limit kubelet puts
/// on a pod's cgroup (podPidsLimit) against a fork bomb.
@Suite("resource limits against hostile containers", .serialized, .enabled(if: DaemonFixture.available))
struct ResourceLimitTests {
    @Test("a container past its memory limit is OOM-killed and reported OOMKilled")
    func memoryLimit() async throws {
        try await DaemonFixture.with { daemon in
            var config = daemon.containerConfig("hog", ["sh", "-c", "x=a; while :; do x=\"$x$x\"; done"])
            config.linux.resources.memoryLimitInBytes = 32 << 20
            let (pod, hog, podConfig) = try await daemon.runPodWith(config, podName: "hungry")
            let neighbors = try await Neighbors.start(daemon, pod: pod, podConfig: podConfig)
            let status = try await daemon.waitExited(hog, timeout: .seconds(60))
            #expect(status.reason == "OOMKilled", "reason \(status.reason): \(status.message)")
            #expect(status.exitCode == 137)
            #expect(await neighbors.check(daemon) == [])
        }
    }

    @Test("a busy loop under a CPU quota of 0.2 cores uses no more than that")
    func cpuQuota() async throws {
        try await DaemonFixture.with { daemon in
            var config = daemon.containerConfig("spinner", ["sh", "-c", "while :; do :; done"])
            config.linux.resources.cpuPeriod = 100_000
            config.linux.resources.cpuQuota = 20_000
            let (pod, spinner, podConfig) = try await daemon.runPodWith(config, podName: "spinning")
            let neighbors = try await Neighbors.start(daemon, pod: pod, podConfig: podConfig)
            let cpu = try Cgroup(of: try await daemon.initPID(of: spinner), controller: "cpu")
            let cpuacct = try Cgroup(of: try await daemon.initPID(of: spinner), controller: "cpuacct")
            #expect(cpu.read("cpu.cfs_quota_us") == "20000")
            #expect(cpu.read("cpu.cfs_period_us") == "100000")
            try await Task.sleep(for: .seconds(1))
            let (usage0, time0) = (Double(cpuacct.read("cpuacct.usage") ?? "") ?? 0, ContinuousClock.now)
            try await Task.sleep(for: .seconds(3))
            let (usage1, time1) = (Double(cpuacct.read("cpuacct.usage") ?? "") ?? 0, ContinuousClock.now)
            let elapsed = time1 - time0
            let cores = (usage1 - usage0) / 1e9 / (Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18)
            print("a busy loop under a 0.2-core quota used \(String(format: "%.3f", cores)) cores")
            #expect(cores > 0.05, "the loop hardly ran: \(cores) cores")
            #expect(cores <= 0.22, "the quota did not hold: \(cores) cores")
            #expect(await neighbors.check(daemon) == [])
        }
    }

    @Test("a fork bomb stops at the pids limit of its pod's cgroup; other pods and the node carry on")
    func forkBomb() async throws {
        try await DaemonFixture.with { daemon in
            // As kubelet does with podPidsLimit: the pod's own cgroup, with pids.max, under the node's.
            let podCgroup = daemon.cgroupParent + "/bomb-pod"
            let pids = "/sys/fs/cgroup/pids" + podCgroup
            try FileSystem.makeDirectories(pids, mode: 0o755)
            try "64".write(toFile: pids + "/pids.max", atomically: false, encoding: .utf8)
            let other = try await daemon.runPodWith(daemon.containerConfig("other", ["sleep", "3600"]), podName: "bystander")
            // PID 1 forks once, before any bomb runs, and then execs its sleep: a shell whose own
            // fork fails at the limit exits, and with PID 1 the whole container (under load, its
            // second fork for `bomb | bomb` lost the race to the first bomb's children).
            let bomb = try await daemon.runPodWith(daemon.containerConfig("bomb", ["sh", "-c", "(bomb() { bomb | bomb & }; bomb) & exec sleep 3600"]),
                                                   podName: "bombing") { $0.linux.cgroupParent = podCgroup }
            let readCurrent = { Int((try? FileSystem.readText(pids + "/pids.current"))?.trimmingCharacters(in: .whitespacesAndNewlines) ?? "") ?? -1 }
            // cgroup v1 counts a refused fork in the forking task's own cgroup: the container's.
            let readRefusals = {
                ((try? FileManager.default.contentsOfDirectory(atPath: pids)) ?? []).reduce(0) { total, child in
                    let events = (try? FileSystem.readText(pids + "/" + child + "/pids.events")) ?? ""
                    return total + (Int(events.split(separator: " ").last?.trimmingCharacters(in: .newlines) ?? "") ?? 0)
                }
            }
            _ = await eventually(.seconds(20)) { readRefusals() > 0 }
            try await Task.sleep(for: .seconds(1))
            let (current, refusals) = (readCurrent(), readRefusals())
            print("fork bomb under pids.max 64: pids.current \(current), \(refusals) forks refused")
            #expect(current > 0 && current <= 64)
            #expect(refusals > 0, "the bomb never reached the limit")
            // The node forks, and another pod answers.
            let fork = try await Command.run("/bin/echo", arguments: ["node"])
            #expect(fork.stdoutText == "node\n")
            let answer = try await daemon.runtime.execSync(.with { $0.containerID = other.container; $0.cmd = ["echo", "ok"]; $0.timeout = 10 })
            #expect(answer.exitCode == 0 && answer.stdout == Data("ok\n".utf8))
            // The bombed pod goes away whole.
            _ = try await daemon.runtime.stopPodSandbox(.with { $0.podSandboxID = bomb.pod })
            _ = try await daemon.runtime.removePodSandbox(.with { $0.podSandboxID = bomb.pod })
            #expect(await eventually(.seconds(10)) {
                (try? FileSystem.readText(pids + "/pids.current"))?.trimmingCharacters(in: .whitespacesAndNewlines) == "0"
            }, "processes of the bomb are left: \((try? FileSystem.readText(pids + "/pids.current")) ?? "?")")
            for hierarchy in (try? FileManager.default.contentsOfDirectory(atPath: "/sys/fs/cgroup")) ?? [] {
                _ = rmdir("/sys/fs/cgroup/" + hierarchy + podCgroup)
            }
        }
    }
}

/// One v1 cgroup of a process, by controller, for reading its files.
struct Cgroup {
    let directory: String

    init(of pid: Int32, controller: String) throws {
        let lines = try FileSystem.readText("/proc/\(pid)/cgroup").split(separator: "\n")
        guard let line = lines.first(where: { $0.split(separator: ":", maxSplits: 2).dropFirst().first?
                .split(separator: ",").contains(Substring(controller)) == true }) else {
            throw TestFailure("process \(pid) is in no \(controller) cgroup")
        }
        let parts = line.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false)
        directory = "/sys/fs/cgroup/" + parts[1] + parts[2]
    }

    func read(_ file: String) -> String? {
        (try? FileSystem.readText(directory + "/" + file))?.trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
