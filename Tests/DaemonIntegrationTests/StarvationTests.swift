import CRIAPI
import CorralSystem
import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Containers that try to starve their shim or the node: floods of output, huge exec output,
/// storms of execs, connections, orphans, a process that will not stop. Each leaves the shim
/// bounded and the pod's other container and another pod answering.
@Suite("hostile containers: nothing starves the shim", .serialized, .enabled(if: DaemonFixture.available))
struct StarvationTests {
    /// The peak resident size the shim may reach under a flood of output.
    static let floodRSSBoundKiB = 24 << 10
    static let payload = String(repeating: "0123456789", count: 10)

    @Test("30 s of stdout as fast as it comes: bounded memory, under a core, every line in the log across a rotation")
    func stdoutFlood() async throws {
        try await DaemonFixture.with { daemon in
            var config = daemon.containerConfig("flood", ["sh", "-c", "yes \(Self.payload) | cat -n"])
            config.logPath = "flood.log"
            let (pod, flood, podConfig) = try await daemon.runPodWith(config, podName: "flooding")
            let neighbors = try await Neighbors.start(daemon, pod: pod, podConfig: podConfig)
            let shim = try await daemon.shimPID(of: pod)
            let log = daemon.logDir + "/flooding/flood.log"
            ProcessUsage.resetPeak(shim)
            let cpuBefore = ProcessUsage.cpuTimes(shim)
            let started = ContinuousClock.now
            var failures: [String] = []
            var rotated = false
            while ContinuousClock.now - started < .seconds(30) {
                try await Task.sleep(for: .seconds(1))
                failures += await neighbors.check(daemon)
                if !rotated && ContinuousClock.now - started > .seconds(15) {
                    // kubelet's rotation: rename, then ask the runtime to reopen.
                    #expect(rename(log, log + ".1") == 0)
                    _ = try await daemon.runtime.reopenContainerLog(.with { $0.containerID = flood })
                    rotated = true
                }
            }
            let elapsed = ContinuousClock.now - started
            let cpuAfter = ProcessUsage.cpuTimes(shim)
            let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
            let (user, system) = ((cpuAfter.user - cpuBefore.user) / seconds, (cpuAfter.system - cpuBefore.system) / seconds)
            let cores = user + system
            let peak = ProcessUsage.status(shim, "VmHWM")
            _ = try await daemon.runtime.stopContainer(.with { $0.containerID = flood; $0.timeout = 0 })
            let bytes = [log + ".1", log].reduce(0) { total, path in
                total + (((try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? Int) ?? 0)
            }
            let verdict = try TestImage.run("/usr/bin/awk", ["-v", "P=" + Self.payload, Self.logChecker, log + ".1", log])
            unlink(log + ".1")
            unlink(log)
            print("stdout flood: \(bytes >> 20) MiB of log in \(elapsed); shim peak VmHWM \(peak) KiB, \(String(format: "%.2f", cores)) cores (user \(String(format: "%.2f", user)), system \(String(format: "%.2f", system))); \(verdict)")
            #expect(failures.isEmpty, "neighbors: \(failures)")
            #expect(peak > 0 && peak < Self.floodRSSBoundKiB, "shim peak RSS \(peak) KiB")
            // The log's budget is half a core (CPUBudget); the rest is the shim's other threads and the clock.
            #expect(cores < 0.8, "shim used \(cores) cores")
            let fields = Self.fields(verdict)
            #expect(fields["bad"] == 0 && fields["gaps"] == 0 && fields["first"] == 1 && (fields["lines"] ?? 0) > 100_000, "\(verdict)")
            #expect(fields["lines"] == fields["last"], "\(verdict)")
        }
    }

    /// Checks CRI log records (joined across P records) of `cat -n` lines of payload P: every
    /// record well-formed, the numbers consecutive from the first.
    static let logChecker = #"""
        BEGIN { prev = -1; bad = 0; gaps = 0; lines = 0; partial = ""; first = -1 }
        {
          if ($0 !~ /^[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9](\.[0-9]+)?(Z|[-+][0-9][0-9]:[0-9][0-9]) stdout [PF] /) {
            bad++; next
          }
          i = index($0, " stdout ")
          tag = substr($0, i + 8, 1)
          content = partial substr($0, i + 10)
          if (tag == "P") { partial = content; next }
          partial = ""
          sub(/^ */, "", content)
          t = index(content, "\t")
          num = substr(content, 1, t - 1) + 0
          if (t == 0 || substr(content, t + 1) != P) { bad++; next }
          if (first < 0) first = num
          if (prev >= 0 && num != prev + 1) gaps++
          prev = num
          lines++
        }
        END { print "lines=" lines " bad=" bad " gaps=" gaps " first=" first " last=" prev " partial=" length(partial) }
        """#

    static func fields(_ verdict: String) -> [String: Int] {
        var result: [String: Int] = [:]
        for pair in verdict.split(whereSeparator: \.isWhitespace) {
            let parts = pair.split(separator: "=")
            if parts.count == 2 { result[String(parts[0])] = Int(parts[1]) }
        }
        return result
    }

    @Test("ExecSync of a command printing 100 MiB: the output capped, the shim back to its size")
    func hugeExecOutput() async throws {
        try await DaemonFixture.with { daemon in
            let (pod, container, podConfig) = try await daemon.runPodWith(daemon.containerConfig("talker", ["sleep", "3600"]),
                                                                         podName: "talking")
            let neighbors = try await Neighbors.start(daemon, pod: pod, podConfig: podConfig)
            let shim = try await daemon.shimPID(of: pod)
            // Settled: one exec done and the shim's idle trim behind it.
            _ = try await daemon.runtime.execSync(.with { $0.containerID = container; $0.cmd = ["true"]; $0.timeout = 10 })
            try await Task.sleep(for: .seconds(3))
            let idle = ProcessUsage.status(shim, "VmRSS")
            ProcessUsage.resetPeak(shim)
            var peaks: [Int] = []
            for _ in 0..<3 {
                let started = ContinuousClock.now
                let answer = try await daemon.runtime.execSync(.with {
                    $0.containerID = container
                    $0.cmd = ["head", "-c", "104857600", "/dev/zero"]
                    $0.timeout = 60
                })
                print("ExecSync of 100 MiB answered in \(ContinuousClock.now - started) with \(answer.stdout.count) bytes")
                #expect(answer.exitCode == 0)
                // What one shim frame carries, less room for its envelope: 4 MiB - 64 KiB.
                #expect(answer.stdout.count == (4 << 20) - (64 << 10))
                #expect(answer.stdout.allSatisfy { $0 == 0 })
                peaks.append(ProcessUsage.status(shim, "VmHWM"))
            }
            try await Task.sleep(for: .seconds(3))
            let after = ProcessUsage.status(shim, "VmRSS")
            print("shim VmRSS idle \(idle) KiB, peaks \(peaks) KiB, after \(after) KiB")
            #expect(peaks.allSatisfy { $0 < idle + 32 << 10 }, "peaks \(peaks) KiB over idle \(idle) KiB")
            #expect(after < idle + 2 << 10, "shim at \(after) KiB after, \(idle) KiB before")
            #expect(await neighbors.check(daemon) == [])
        }
    }

    @Test("200 ExecSyncs at once into one container: each answers, and the shim keeps no more threads or descriptors")
    func concurrentExecSyncs() async throws {
        try await DaemonFixture.with { daemon in
            let (pod, container, podConfig) = try await daemon.runPodWith(daemon.containerConfig("busy", ["sleep", "3600"]),
                                                                         podName: "probed")
            let neighbors = try await Neighbors.start(daemon, pod: pod, podConfig: podConfig)
            let shim = try await daemon.shimPID(of: pod)
            _ = try await daemon.runtime.execSync(.with { $0.containerID = container; $0.cmd = ["true"]; $0.timeout = 10 })
            try await Task.sleep(for: .seconds(1))
            let threads = ProcessUsage.status(shim, "Threads")
            let fds = ProcessUsage.descriptors(shim)
            let outcomes = await withTaskGroup(of: String.self) { group in
                for i in 0..<200 {
                    group.addTask {
                        do {
                            let answer = try await daemon.runtime.execSync(.with {
                                $0.containerID = container
                                $0.cmd = ["echo", "call \(i)"]
                                $0.timeout = 60
                            })
                            return answer.exitCode == 0 && String(decoding: answer.stdout, as: UTF8.self) == "call \(i)\n"
                                ? "ok" : "wrong answer \(answer.exitCode)"
                        } catch {
                            return "\(error)"
                        }
                    }
                }
                return await group.reduce(into: [String]()) { $0.append($1) }
            }
            let failed = outcomes.filter { $0 != "ok" }
            print("200 concurrent ExecSyncs: \(200 - failed.count) answered, \(failed.count) failed")
            // A refusal must say what it is; none is expected on this machine.
            #expect(failed.isEmpty, "\(Set(failed))")
            #expect(await eventually(.seconds(10)) {
                ProcessUsage.status(shim, "Threads") <= threads && ProcessUsage.descriptors(shim) <= fds
            }, "shim had \(threads) threads and \(fds) descriptors, now \(ProcessUsage.status(shim, "Threads")) and \(ProcessUsage.descriptors(shim))")
            #expect(await neighbors.check(daemon) == [])
        }
    }

    @Test("a burst of 1000 connections on the shim's socket: none refused, and the shim keeps serving corrald")
    func connectionBurst() async throws {
        try await DaemonFixture.with { daemon in
            let (pod, _, podConfig) = try await daemon.runPodWith(daemon.containerConfig("quiet", ["sleep", "3600"]),
                                                                 podName: "knocked")
            let neighbors = try await Neighbors.start(daemon, pod: pod, podConfig: podConfig)
            let shim = try await daemon.shimPID(of: pod)
            let socket = try await daemon.shimSocket(of: pod)
            let fds = ProcessUsage.descriptors(shim)
            var connections: [Int32] = []
            var refused: [Int32: Int] = [:]
            for _ in 0..<1000 {
                let (fd, error) = Self.connectNonBlocking(socket)
                if fd >= 0 { connections.append(fd) } else { refused[error, default: 0] += 1 }
            }
            print("1000 connections to a shim: \(connections.count) connected, refused \(refused)")
            #expect(refused.isEmpty, "refused: \(refused) (errno: count)")
            // The shim serves corrald (and the pod's other containers) while they sit there.
            #expect(await neighbors.check(daemon) == [])
            _ = try await daemon.runtime.podSandboxStatus(.with { $0.podSandboxID = pod })
            connections.forEach { close($0) }
            #expect(await eventually(.seconds(10)) { ProcessUsage.descriptors(shim) <= fds },
                    "shim had \(fds) descriptors, now \(ProcessUsage.descriptors(shim))")
        }
    }

    /// A non-blocking connect, as a misbehaving client fires them: the descriptor, or -1 and errno.
    static func connectNonBlocking(_ path: String) -> (Int32, Int32) {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return (-1, errno) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            let bytes = Array(path.utf8.prefix(raw.count - 1))
            raw.copyBytes(from: bytes)
            raw[bytes.count] = 0
        }
        let rc = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard rc == 0 || errno == EINPROGRESS else {
            let error = errno
            close(fd)
            return (-1, error)
        }
        return (fd, 0)
    }

    @Test("a container ignoring SIGTERM is killed once its grace period is over")
    func sigtermIgnored() async throws {
        try await DaemonFixture.with { daemon in
            let (pod, stubborn, podConfig) = try await daemon.runPodWith(
                daemon.containerConfig("stubborn", ["sh", "-c", "trap '' TERM; while :; do sleep 1; done"]), podName: "stubborn")
            let neighbors = try await Neighbors.start(daemon, pod: pod, podConfig: podConfig)
            let started = ContinuousClock.now
            _ = try await daemon.runtime.stopContainer(.with { $0.containerID = stubborn; $0.timeout = 2 })
            let took = ContinuousClock.now - started
            let status = try await daemon.containerState(stubborn)
            print("a container ignoring SIGTERM stopped after \(took) (grace 2 s), exit \(status.exitCode)")
            #expect(status.state == .containerExited)
            #expect(status.exitCode == 137, "killed by SIGKILL: \(status.exitCode) \(status.reason)")
            #expect(took >= .seconds(2), "killed before its grace period was over")
            #expect(await neighbors.check(daemon) == [])
        }
    }

    @Test("a container whose 10,000 orphans exit at once leaves no zombie, and execs beside it keep their exit codes")
    func orphanStorm() async throws {
        try await DaemonFixture.with { daemon in
            let script = "i=0; while [ $i -lt 10000 ]; do sleep 3600 & i=$((i+1)); done; echo started $i; exit 0"
            var config = daemon.containerConfig("breeder", ["sh", "-c", script])
            config.logPath = "breeder.log"
            let (pod, breeder, podConfig) = try await daemon.runPodWith(config, podName: "breeding")
            let neighbors = try await Neighbors.start(daemon, pod: pod, podConfig: podConfig)
            let shim = try await daemon.shimPID(of: pod)
            // While the orphans come and go, execs beside them must get their own exits.
            let execs = Task {
                var wrong: [String] = []
                for i in 0..<40 {
                    let code = i % 7
                    do {
                        let answer = try await daemon.runtime.execSync(.with {
                            $0.containerID = neighbors.inPod
                            $0.cmd = ["sh", "-c", "exit \(code)"]
                            $0.timeout = 30
                        })
                        if answer.exitCode != Int32(code) { wrong.append("exit \(code) came back as \(answer.exitCode)") }
                    } catch {
                        wrong.append("\(error)")
                    }
                }
                return wrong
            }
            let exited = try await daemon.waitExited(breeder, timeout: .seconds(120))
            let log = (try? String(contentsOfFile: daemon.logDir + "/breeding/breeder.log", encoding: .utf8)) ?? ""
            #expect(log.contains("started 10000"), "the container did not start its orphans: \(log.suffix(300))")
            #expect(exited.exitCode == 0)
            #expect(await eventually(.seconds(20)) { ProcessUsage.zombieChildren(of: shim).isEmpty },
                    "zombies left under the shim: \(ProcessUsage.zombieChildren(of: shim).count)")
            let wrong = await execs.value
            #expect(wrong.isEmpty, "\(wrong)")
            #expect(await neighbors.check(daemon) == [])
        }
    }
}
