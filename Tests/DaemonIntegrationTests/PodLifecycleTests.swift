import CRIAPI
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import GRPCCore
import Testing

/// kubelet's sequence against a real corrald: pods and containers through the CRI, real
/// shims, runc, CNI and the busybox image; nothing left on the host afterwards.
@Suite("CRI pod lifecycle", .serialized, .enabled(if: DaemonFixture.available))
struct PodLifecycleTests {
    @Test("Version, Status and RuntimeConfig answer as kubelet expects")
    func runtimeInfo() async throws {
        try await DaemonFixture.with { daemon in
        let version = try await daemon.runtime.version(.init())
        #expect(version.runtimeName == "corral")
        #expect(version.runtimeApiVersion == "v1")
        let status = try await daemon.runtime.status(.with { $0.verbose = true })
        let conditions = Dictionary(uniqueKeysWithValues: status.status.conditions.map { ($0.type, $0.status) })
        #expect(conditions["RuntimeReady"] == true)
        #expect(conditions["NetworkReady"] == true)
        let config = try await daemon.runtime.runtimeConfig(.init())
        #expect(config.linux.cgroupDriver == .cgroupfs)
        }
    }

    @Test("the Prometheus endpoint counts CRI calls by method and code, pods by state, shim calls, GC runs and shim memory")
    func metrics() async throws {
        // A port another test (or a client's local end) took meanwhile is tried again with another.
        for attempt in 1...5 {
            do {
                try await metrics(port: Int.random(in: 20000...32000))
                return
            } catch let error as TestFailure where attempt < 5 && "\(error)".contains("Address already in use") {
                continue
            }
        }
    }

    func metrics(port: Int) async throws {
        try await DaemonFixture.with(extraConfig: "[metrics]\naddress = \"127.0.0.1:\(port)\"\n") { daemon in
            _ = try await daemon.runtime.version(.init())
            _ = await statusCode { _ = try await daemon.runtime.containerStatus(.with { $0.containerID = "nope" }) }
            let pod = try await daemon.runPod("measured")
            let (data, _) = try await URLSession.shared.data(from: URL(string: "http://127.0.0.1:\(port)/metrics")!)
            let text = String(decoding: data, as: UTF8.self)
            #expect(text.contains(#"corral_cri_requests_total{method="Version",code="OK"}"#) || text.contains(#"corral_cri_requests_total{code="OK",method="Version"}"#))
            #expect(text.contains("corral_cri_errors_total"))
            #expect(text.contains("corral_cri_request_duration_seconds_bucket"))
            #expect(text.contains(#"corral_pods{state="ready"} 1"#))
            #expect(text.contains(#"corral_shim_request_duration_seconds_bucket{method="CreateSandbox""#)
                    || text.contains(#"corral_shim_request_duration_seconds_count{method="CreateSandbox"}"#))
            #expect(text.contains("corral_gc_runs_total"))
            #expect(text.contains("corral_shims_answering 1"))
            let rss = text.split(separator: "\n").first { $0.hasPrefix(#"corral_shim_memory_bytes{kind="rss"}"#) }
            #expect((rss?.split(separator: " ").last).flatMap { Double($0) } ?? 0 > 1_000_000, "\(String(describing: rss))")
            _ = pod
        }
    }

    @Test("a pod runs a container that logs, execs, exits and is removed without a trace")
    func fullLifecycle() async throws {
        try await DaemonFixture.with { daemon in
        let pod = try await daemon.runPod("web")
        let podStatus = try await daemon.runtime.podSandboxStatus(.with { $0.podSandboxID = pod; $0.verbose = true })
        #expect(podStatus.status.state == .sandboxReady)
        #expect(podStatus.status.network.ip.hasPrefix(String(daemon.subnet.split(separator: ".").prefix(3).joined(separator: "."))))
        #expect(podStatus.status.metadata.name == "web")
        #expect(podStatus.info["info"] != nil)

        let ctr = try await daemon.runContainer(pod: pod, "app", ["sh", "-c", "echo hello; echo oops >&2; exec sleep 3600"])
        var status = try await daemon.containerState(ctr)
        #expect(status.state == .containerRunning)
        #expect(status.startedAt > 0)
        #expect(status.logPath == daemon.logDir + "/web/app_0.log")

        let exec = try await daemon.runtime.execSync(.with {
            $0.containerID = ctr
            $0.cmd = ["sh", "-c", "hostname; id -u; cat /etc/hostname; exit 3"]
            $0.timeout = 10
        })
        #expect(exec.exitCode == 3)
        #expect(String(decoding: exec.stdout, as: UTF8.self) == "web\n0\nweb\n")

        let timedOut = await statusCode {
            _ = try await daemon.runtime.execSync(.with { $0.containerID = ctr; $0.cmd = ["sleep", "30"]; $0.timeout = 1 })
        }
        #expect(timedOut == .deadlineExceeded)

        let log = (try? String(contentsOfFile: status.logPath, encoding: .utf8)) ?? ""
        #expect(log.contains(" stdout F hello"))
        #expect(log.contains(" stderr F oops"))

        let listed = try await daemon.runtime.listContainers(.with { $0.filter.podSandboxID = String(pod.prefix(12)) })
        #expect(listed.containers.map(\.id) == [ctr])
        // kubelet's relist (an empty filter) is answered from an encoding the daemon keeps: it
        // must be the unfiltered answer, and follow every change.
        let relist = Runtime_V1_ListContainersRequest.with { $0.filter = .init() }
        var relisted = try await daemon.runtime.listContainers(relist).containers
        #expect(relisted.map(\.id) == [ctr] && relisted.first?.state == .containerRunning)
        #expect(try await daemon.runtime.listContainers(.init()).containers == relisted)

        _ = try await daemon.runtime.stopContainer(.with { $0.containerID = ctr; $0.timeout = 2 })
        status = try await daemon.containerState(ctr)
        #expect(status.state == .containerExited)
        #expect(status.exitCode == 137 || status.exitCode == 143)
        relisted = try await daemon.runtime.listContainers(relist).containers
        #expect(relisted.map(\.state) == [.containerExited])
        // Stopping again, and stopping what is gone, succeed.
        _ = try await daemon.runtime.stopContainer(.with { $0.containerID = ctr; $0.timeout = 2 })

        let short = try await daemon.runContainer(pod: pod, "short", ["sh", "-c", "exit 7"])
        let exited = try await daemon.waitExited(short)
        #expect(exited.exitCode == 7)
        #expect(exited.reason == "Error")
        #expect(exited.finishedAt >= exited.startedAt)
        #expect(try await daemon.runtime.listContainers(relist).containers.map(\.id) == [short, ctr])

        _ = try await daemon.runtime.removeContainer(.with { $0.containerID = ctr })
        _ = try await daemon.runtime.removeContainer(.with { $0.containerID = ctr })
        _ = try await daemon.runtime.stopPodSandbox(.with { $0.podSandboxID = pod })
        let stopped = try await daemon.runtime.podSandboxStatus(.with { $0.podSandboxID = pod })
        #expect(stopped.status.state == .sandboxNotready)
        _ = try await daemon.runtime.stopPodSandbox(.with { $0.podSandboxID = pod })
        _ = try await daemon.runtime.removePodSandbox(.with { $0.podSandboxID = pod })
        _ = try await daemon.runtime.removePodSandbox(.with { $0.podSandboxID = pod })
        #expect(try await daemon.runtime.listPodSandbox(.init()).items.isEmpty)
        #expect(try await daemon.runtime.listContainers(.init()).containers.isEmpty)
        #expect(daemon.leftovers() == [])
        }
    }

    @Test("stats of containers and pods, resources updated through runc, a rotated log reopened")
    func statsResourcesAndLogs() async throws {
        try await DaemonFixture.with { daemon in
            let pod = try await daemon.runPod("busy")
            let ctr = try await daemon.runContainer(pod: pod, "worker", ["sh", "-c", "while true; do echo tick; sleep 0.2; done"])
            try await Task.sleep(for: .milliseconds(500))
            let stats = try await daemon.runtime.containerStats(.with { $0.containerID = ctr }).stats
            #expect(stats.attributes.id == ctr)
            #expect(stats.cpu.usageCoreNanoSeconds.value > 0)
            #expect(stats.memory.workingSetBytes.value > 0)
            let listed = try await daemon.runtime.listContainerStats(.with { $0.filter.podSandboxID = pod })
            #expect(listed.stats.map(\.attributes.id) == [ctr])
            let podStats = try await daemon.runtime.podSandboxStats(.with { $0.podSandboxID = pod }).stats
            #expect(podStats.attributes.id == pod)
            #expect(podStats.linux.containers.map(\.attributes.id) == [ctr])

            _ = try await daemon.runtime.updateContainerResources(.with {
                $0.containerID = ctr
                $0.linux.memoryLimitInBytes = 64 << 20
                $0.linux.cpuShares = 512
            })
            let status = try await daemon.containerState(ctr)
            #expect(status.resources.linux.memoryLimitInBytes == 64 << 20)
            let exec = try await daemon.runtime.execSync(.with {
                $0.containerID = ctr
                $0.cmd = ["cat", "/sys/fs/cgroup/memory/memory.limit_in_bytes"]
                $0.timeout = 10
            })
            let limit = String(decoding: exec.stdout, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            if !limit.isEmpty { #expect(limit == String(64 << 20)) }

            // kubelet's rotation: rename, then ReopenContainerLog; new lines go to a new file.
            let log = status.logPath
            try FileManager.default.moveItem(atPath: log, toPath: log + ".1")
            _ = try await daemon.runtime.reopenContainerLog(.with { $0.containerID = ctr })
            try await Task.sleep(for: .milliseconds(600))
            let fresh = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
            #expect(fresh.contains("stdout F tick"))
        }
    }

    @Test("list filters: id prefix, state, labels; a pod's name is reserved until removal")
    func listingAndNames() async throws {
        try await DaemonFixture.with { daemon in
        let first = try await daemon.runPod("one")
        let second = try await daemon.runPod("two")
        let all = try await daemon.runtime.listPodSandbox(.init())
        #expect(Set(all.items.map(\.id)) == [first, second])
        let byPrefix = try await daemon.runtime.listPodSandbox(.with { $0.filter.id = String(first.prefix(10)) })
        #expect(byPrefix.items.map(\.id) == [first])
        let byLabel = try await daemon.runtime.listPodSandbox(.with { $0.filter.labelSelector = ["pod": "two"] })
        #expect(byLabel.items.map(\.id) == [second])
        _ = try await daemon.runtime.stopPodSandbox(.with { $0.podSandboxID = first })
        let ready = try await daemon.runtime.listPodSandbox(.with { $0.filter.state.state = .sandboxReady })
        #expect(ready.items.map(\.id) == [second])

        let duplicate = await statusCode { try await daemon.runPod("two") }
        #expect(duplicate == .alreadyExists)
        _ = try await daemon.runtime.stopPodSandbox(.with { $0.podSandboxID = second })
        _ = try await daemon.runtime.removePodSandbox(.with { $0.podSandboxID = second })
        let again = try await daemon.runPod("two")
        #expect(again != second)
        }
    }
}
