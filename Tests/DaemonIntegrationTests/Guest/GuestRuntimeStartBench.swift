import CRIAPI
import Foundation
import Testing

/// Not a test: bench/guest-runtimes runs it in the guest (CORRAL_TEST_BENCH=1) to say which
/// runtime starts containers faster on cgroup v2, where both work. It prints the median of
/// CreateContainer + StartContainer per runtime and driver, measured alternately in one pod each,
/// and checks only that every start ran.
@Suite("runc against crun on cgroup v2", .serialized,
       .enabled(if: CgroupV2Host.available && ProcessInfo.processInfo.environment["CORRAL_TEST_BENCH"] == "1"))
struct GuestRuntimeStartBench {
    @Test(arguments: ["cgroupfs", "systemd"])
    func containerStart(driver: String) async throws {
        let rounds = Int(ProcessInfo.processInfo.environment["CORRAL_BENCH_ROUNDS"] ?? "") ?? 10
        try await DaemonFixture.with(cgroupDriver: driver) { daemon in
            let runtime = daemon.runtime
            var pods: [String: (id: String, config: Runtime_V1_PodSandboxConfig)] = [:]
            for handler in ["runc", "crun"] {
                let config = daemon.podConfig("bench-" + handler)
                let id = try await runtime.runPodSandbox(.with { $0.config = config; $0.runtimeHandler = handler }).podSandboxID
                pods[handler] = (id, config)
            }
            var samples: [String: [Double]] = [:]
            for round in 0..<rounds {
                for handler in ["runc", "crun"] {
                    let pod = pods[handler]!
                    var config = daemon.containerConfig("c\(round)", ["sleep", "3600"])
                    config.logPath = "c\(round).log"
                    let started = ContinuousClock.now
                    let id = try await runtime.createContainer(.with {
                        $0.podSandboxID = pod.id
                        $0.config = config
                        $0.sandboxConfig = pod.config
                    }).containerID
                    _ = try await runtime.startContainer(.with { $0.containerID = id })
                    let elapsed = ContinuousClock.now - started
                    samples[handler, default: []].append(Double(elapsed.components.attoseconds) / 1e15 + Double(elapsed.components.seconds) * 1000)
                    #expect(try await daemon.containerState(id).state == .containerRunning)
                    _ = try await runtime.stopContainer(.with { $0.containerID = id; $0.timeout = 0 })
                    _ = try await runtime.removeContainer(.with { $0.containerID = id })
                }
            }
            func median(_ values: [Double]) -> Double { values.sorted()[values.count / 2] }
            let runc = median(samples["runc"]!), crun = median(samples["crun"]!)
            print(String(format: "bench: %@ driver, container create+start, median of %d: runc %.0f ms, crun %.0f ms, crun/runc %.2f",
                         driver, rounds, runc, crun, crun / runc))
        }
    }
}
