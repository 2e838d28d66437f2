import CRIAPI
import CorralSystem
import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// cgroup v2 end to end, with both drivers and both runtimes: what kubelet asks of a pod's and a
/// container's cgroups, read back from the files the kernel enforces.
@Suite("cgroup v2: resources, updates, stats, OOM kills and execs", .serialized, .enabled(if: CgroupV2Host.available))
struct GuestCgroupTests {
    @Test("a container's resources, its update, its stats, an OOM kill and an exec's cgroup", arguments: CgroupV2Host.Setup.all)
    func resourcesStatsAndExecs(setup: CgroupV2Host.Setup) async throws {
        try await DaemonFixture.with(cgroupDriver: setup.driver) { daemon in
            let runtime = daemon.runtime
            #expect(try await runtime.runtimeConfig(.init()).linux.cgroupDriver == (setup.driver == "systemd" ? .systemd : .cgroupfs))
            let podConfig = daemon.podConfig("v2")
            let pod = try await runtime.runPodSandbox(.with {
                $0.config = podConfig
                $0.runtimeHandler = setup.handler
            }).podSandboxID

            var config = daemon.containerConfig("limited", ["sh", "-c", "cat /proc/self/cgroup > /main-cgroup; exec sleep 3600"])
            config.linux.resources = .with {
                $0.cpuShares = 512
                $0.cpuPeriod = 100_000
                $0.cpuQuota = 50_000
                $0.memoryLimitInBytes = 64 << 20
                $0.memorySwapLimitInBytes = 64 << 20
                $0.cpusetCpus = "0"
                $0.hugepageLimits = [.with { $0.pageSize = "2MB"; $0.limit = 0 }]
                $0.unified = ["memory.high": "\(60 << 20)"]
            }
            let created = try await runtime.createContainer(.with {
                $0.podSandboxID = pod
                $0.config = config
                $0.sandboxConfig = podConfig
            }).containerID
            _ = try await runtime.startContainer(.with { $0.containerID = created })

            func read(_ files: [String]) async throws -> [String: String] {
                let out = try await runtime.execSync(.with {
                    $0.containerID = created
                    $0.cmd = ["sh", "-c", files.map { "echo \($0)=$(cat /sys/fs/cgroup/\($0))" }.joined(separator: "; ")]
                    $0.timeout = 60
                })
                var values: [String: String] = [:]
                for line in String(decoding: out.stdout, as: UTF8.self).split(separator: "\n") {
                    let pair = line.split(separator: "=", maxSplits: 1)
                    if pair.count == 2 { values[String(pair[0])] = String(pair[1]) }
                }
                return values
            }
            // The container sees its own cgroup at /sys/fs/cgroup (a cgroup namespace, as containerd gives on v2).
            let files = ["cpu.max", "cpu.weight", "memory.max", "memory.swap.max", "memory.high", "cpuset.cpus", "hugetlb.2MB.max"]
            let set = try await read(files)
            // kubelet's shares → weight: 1 + ((512 - 2) * 9999) / 262142 = 20.
            #expect(set == ["cpu.max": "50000 100000", "cpu.weight": "20", "memory.max": "\(64 << 20)", "memory.swap.max": "0",
                            "memory.high": "\(60 << 20)", "cpuset.cpus": "0", "hugetlb.2MB.max": "0"], "\(setup)")

            // Where it is on the host: under the pod's parent, in a scope systemd knows with that driver.
            let pid = try await daemon.initPID(of: created)
            let hostPath = try FileSystem.readText("/proc/\(pid)/cgroup").split(separator: "\n")
                .first { $0.hasPrefix("0::") }.map { String($0.dropFirst(3)) } ?? ""
            let parent = try #require(daemon.podCgroupParents.first).dropFirst("/sys/fs/cgroup".count)
            #expect(hostPath.hasPrefix(parent + "/"), "\(setup): the container is in \(hostPath), not under \(parent)")
            if setup.driver == "systemd" {
                let scope = "corral-\(created).scope"
                // crun keeps the scope's own cgroup free of processes and runs the container in a child.
                #expect(hostPath.hasSuffix("/" + scope) || (setup.handler == "crun" && hostPath.hasSuffix("/" + scope + "/container")),
                        "\(setup): \(hostPath)")
                #expect((try? TestImage.run("/usr/bin/systemctl", ["is-active", scope]))?.contains("active") == true, "\(setup): \(scope)")
            }

            // An exec lands in the container's cgroup (CLONE_INTO_CGROUP), not in the shim's.
            let exec = try await runtime.execSync(.with {
                $0.containerID = created
                $0.cmd = ["sh", "-c", "echo $$; cat /proc/self/cgroup; echo --; cat /sys/fs/cgroup/cgroup.procs; echo --; cat /main-cgroup"]
                $0.timeout = 60
            })
            let parts = String(decoding: exec.stdout, as: UTF8.self).components(separatedBy: "--\n")
            let lines = parts.first?.split(separator: "\n").map(String.init) ?? []
            #expect(parts.count == 3 && lines.count == 2, "\(setup): \(parts)")
            if parts.count == 3 && lines.count == 2 {
                #expect(lines[1] == "0::/", "\(setup): the exec's cgroup is \(lines[1])")
                #expect(parts[1].split(separator: "\n").contains(Substring(lines[0])), "\(setup): exec pid \(lines[0]) not in \(parts[1])")
                #expect(parts[2] == "0::/\n", "\(setup): the container's own process is in \(parts[2])")
            }

            // UpdateContainerResources rewrites the limits.
            _ = try await runtime.updateContainerResources(.with {
                $0.containerID = created
                $0.linux = config.linux.resources
                $0.linux.memoryLimitInBytes = 96 << 20
                $0.linux.memorySwapLimitInBytes = 96 << 20
                $0.linux.cpuQuota = 20_000
                $0.linux.unified = [:]
            })
            let updated = try await read(["cpu.max", "memory.max"])
            #expect(updated == ["cpu.max": "20000 100000", "memory.max": "\(96 << 20)"], "\(setup)")

            // Stats: CPU the container used, its working set, the pod's too.
            _ = try await runtime.execSync(.with {
                $0.containerID = created
                $0.cmd = ["sh", "-c", "i=0; while [ $i -lt 20000 ]; do i=$((i+1)); done; head -c 8000000 /dev/zero > /dev/shm/fill"]
                $0.timeout = 120
            })
            let memory = try await read(["memory.current", "memory.stat"])
            let stats = try await runtime.containerStats(.with { $0.containerID = created }).stats
            #expect(stats.cpu.usageCoreNanoSeconds.value > 0, "\(setup): \(stats.cpu)")
            // kubelet's working set: usage minus inactive file pages, from the files the shim reads.
            let usage = Int64(memory["memory.current"] ?? "") ?? -1
            let inactiveFile = (memory["memory.stat"] ?? "").split(separator: " ").split(separator: "inactive_file").dropFirst().first?.first
                .flatMap { Int64($0) } ?? -1
            let workingSet = Int64(stats.memory.workingSetBytes.value)
            #expect(usage > 0 && inactiveFile >= 0 && abs(workingSet - (usage - inactiveFile)) < 4 << 20,
                    "\(setup): working set \(workingSet), usage \(usage), inactive_file \(inactiveFile)")
            #expect(workingSet > 8_000_000 && workingSet < 96 << 20, "\(setup): \(stats.memory)")
            let podStats = try await runtime.podSandboxStats(.with { $0.podSandboxID = pod }).stats
            #expect(podStats.linux.cpu.usageCoreNanoSeconds.value >= stats.cpu.usageCoreNanoSeconds.value, "\(setup): \(podStats.linux.cpu)")
            #expect(podStats.linux.memory.workingSetBytes.value > 0, "\(setup): \(podStats.linux.memory)")
            #expect(podStats.linux.process.processCount.value >= 1, "\(setup): \(podStats.linux.process)")

            // A container past its memory limit is OOM-killed and reported so (memory.events).
            var hungry = daemon.containerConfig("hungry", ["sh", "-c", "x=a; while true; do x=$x$x; done"])
            hungry.linux.resources = .with { $0.memoryLimitInBytes = 32 << 20; $0.memorySwapLimitInBytes = 32 << 20 }
            let oom = try await runtime.createContainer(.with {
                $0.podSandboxID = pod
                $0.config = hungry
                $0.sandboxConfig = podConfig
            }).containerID
            _ = try await runtime.startContainer(.with { $0.containerID = oom })
            let exited = try await daemon.waitExited(oom, timeout: .seconds(120))
            #expect(exited.reason == "OOMKilled" && exited.exitCode == 137, "\(setup): \(exited.reason) \(exited.exitCode)")

            // Removal leaves no cgroup and no unit.
            _ = try await runtime.stopPodSandbox(.with { $0.podSandboxID = pod })
            _ = try await runtime.removePodSandbox(.with { $0.podSandboxID = pod })
            #expect(!FileSystem.exists("/sys/fs/cgroup" + hostPath), "\(setup): \(hostPath) is left")
            // Neither the containers' scopes nor the shim's (systemd collects an empty scope at once).
            let ours = [pod, created, oom]
            let deadline = ContinuousClock.now + .seconds(20)
            while !Self.corralUnits(of: ours).isEmpty && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(200)) }
            let units = Self.corralUnits(of: ours)
            #expect(units.isEmpty, "\(setup): units left: \(units.map(Self.describe))")
            #expect(daemon.leftovers() == [], "\(setup)")
        }
    }

    /// Units of Corral's: containers' and shims' scopes.
    /// Those of the pods and containers `ids` only: other suites' pods may run meanwhile.
    static func corralUnits(of ids: [String]) -> [String] {
        let listing = (try? TestImage.run("/usr/bin/systemctl", ["list-units", "--all", "--no-legend", "--plain", "corral-*.scope"])) ?? ""
        return listing.split(separator: "\n").compactMap { $0.split(separator: " ").first.map(String.init) }
            .filter { unit in ids.contains { unit.contains($0) } }
    }

    /// A unit's state and the processes left in it, for a failure's message.
    static func describe(_ unit: String) -> String {
        let state = (try? TestImage.run("/usr/bin/systemctl", ["show", unit, "-p", "ActiveState,SubState,ControlGroup"])) ?? ""
        let group = state.split(separator: "\n").first { $0.hasPrefix("ControlGroup=") }?.dropFirst("ControlGroup=".count) ?? ""
        let pids = ((try? FileSystem.readText("/sys/fs/cgroup\(group)/cgroup.procs")) ?? "").split(separator: "\n")
        let processes = pids.map { pid in
            "\(pid): " + ((try? FileSystem.readText("/proc/\(pid)/cmdline")) ?? "?").replacingOccurrences(of: "\0", with: " ")
        }
        return "\(unit) \(state.replacingOccurrences(of: "\n", with: " ")) processes \(processes)"
    }
}
