import CorralSystem
import Foundation

/// N pods, one `sleep` container each, started through the shim protocol; then each shim's
/// VmRSS, Pss and Anonymous from /proc/PID/smaps_rollup.
enum ShimMemoryBench {
    static func run(count: Int, shim: String, root: String, cniDir: String) async throws {
        var pods: [BenchPod] = []
        defer {
            let finished = pods
            let done = DispatchSemaphore(value: 0)
            Task {
                for pod in finished { await pod.shutdown() }
                done.signal()
            }
            done.wait()
        }
        for i in 0..<count {
            var pod = BenchPod(shimBinary: shim, root: root, id: "mem-\(i)")
            try pod.startShim()
            try await pod.runSandbox(cniDir: cniDir)
            try await pod.runContainer("sleep", ["sleep", "3600"])
            pods.append(pod)
        }
        // Idle: the shims trim their working set 2 s after their last call.
        try await Task.sleep(for: .seconds(3))
        print("pid       VmRSS_kB   Pss_kB  Anon_kB")
        var totals = (rss: UInt64(0), pss: UInt64(0), anon: UInt64(0))
        for pod in pods {
            let stats = ProcessStatistics.read(pid: pod.shimPID)
            print(String(format: "%-8d %9d %8d %8d", pod.shimPID, stats.vmRSSBytes / 1024, stats.pssBytes / 1024, stats.anonymousBytes / 1024))
            totals.rss += stats.vmRSSBytes
            totals.pss += stats.pssBytes
            totals.anon += stats.anonymousBytes
        }
        let n = Double(count) * 1024 * 1024
        print(String(format: "mean over %d shims, each with one sleep container: VmRSS %.2f MiB, Pss %.2f MiB, Anonymous %.2f MiB",
                     count, Double(totals.rss) / n, Double(totals.pss) / n, Double(totals.anon) / n))
        // To look at the shims by hand before they go: CORRAL_BENCH_HOLD=SECONDS.
        if let hold = ProcessInfo.processInfo.environment["CORRAL_BENCH_HOLD"].flatMap(Double.init) {
            try await Task.sleep(for: .seconds(hold))
        }
    }
}
