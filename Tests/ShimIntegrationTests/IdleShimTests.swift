import CorralSystem
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// An idle pod costs its node nothing: a shim whose containers print nothing sleeps until
/// something happens instead of waking to look.
@Suite("an idle shim", .serialized,
       .enabled(if: ShimHarness.binaryExists && getuid() == 0 && BusyboxImage.available
                    && FileSystem.exists("/usr/sbin/runc"), "needs root, runc, busybox and a built corral-shim"))
struct IdleShimTests {
    /// Voluntary and involuntary context switches of every thread of `pid`, summed.
    static func switches(of pid: Int32) -> Int {
        let tasks = (try? FileSystem.listDirectory("/proc/\(pid)/task")) ?? []
        return tasks.reduce(0) { total, task in
            let status = (try? FileSystem.readText("/proc/\(pid)/task/\(task)/status")) ?? ""
            return total + status.split(separator: "\n").filter { $0.contains("ctxt_switches") }
                .compactMap { Int($0.split(separator: "\t").last ?? "") }.reduce(0, +)
        }
    }

    @Test("with two quiet containers the shim wakes about once a second (libdispatch's own monitor), not per stream")
    func quietContainers() async throws {
        try await withPod { pod in
            try await pod.run()
            _ = try await pod.runContainer("first", ["sleep", "300"])
            _ = try await pod.runContainer("second", ["sleep", "300"])
            try await Task.sleep(for: .seconds(3))  // start-up done, the idle trim run
            // Threads come and go only with work; counted over a window in which none does.
            let before = Self.switches(of: pod.shimPID)
            try await Task.sleep(for: .seconds(5))
            let after = Self.switches(of: pod.shimPID)
            // Four streams polled every 100 ms made 40 wakeups a second before.
            #expect(after - before <= 15, "\(after - before) context switches in 5 s")
        }
    }
}
