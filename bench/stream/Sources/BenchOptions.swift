import ArgumentParser
import BenchSupport
import Foundation

/// What both `measure` and `pair` take: how much to measure, and the pod's image and cgroup.
struct BenchOptions: ParsableArguments {
    @Option(help: "Timed exec round trips on each runtime.")
    var runs = 50

    @Option(help: "Untimed exec round trips before them.")
    var warmups = 3

    @Option(help: "MiB moved by each port-forward transfer (whole 64 KiB blocks).")
    var megabytes = 256

    @Option(help: "Timed port-forward transfers each way (after one untimed each way).")
    var transfers = 3

    @Option(help: "The container image (busybox with nc, dd and sh).")
    var image = "docker.io/library/busybox:latest"

    @Option(help: "The pods' cgroup parent.")
    var cgroupParent = "/corral-bench"

    func validate() throws {
        guard runs >= 1, transfers >= 1 else { throw ValidationError("--runs and --transfers must be at least 1") }
        guard megabytes >= 1 else { throw ValidationError("--megabytes must be at least 1") }
    }

    var transferBytes: Int { megabytes << 20 }

    var schedule: Schedule {
        Schedule(runs: runs, warmups: warmups, transfers: transfers, transferBytes: transferBytes)
    }

    func pod(for name: String, logDirectory: String) -> StreamPod {
        StreamPod(benchName: name, image: image, logDirectory: logDirectory + "/" + name, cgroupParent: cgroupParent,
                  transferBytes: transferBytes)
    }

    /// Runs `schedule` over `runtimes` with their pods prepared, and always removes the pods, the
    /// pods' log directories and (if the bench made it) the cgroup parent.
    func measure(_ names: [(name: String, endpoint: String)]) async throws -> [StreamReport] {
        let logDirectory = "/tmp/corral-stream-bench-\(getpid())"
        let parentWasThere = CgroupParent.exists(cgroupParent)
        let runtimes = names.map { RuntimeUnderTest(name: $0.name, endpoint: $0.endpoint, pod: pod(for: $0.name, logDirectory: logDirectory)) }
        let outcome: Result<[StreamReport], any Error>
        do {
            for runtime in runtimes {
                try FileManager.default.createDirectory(atPath: runtime.pod.logDirectory, withIntermediateDirectories: true)
                try await runtime.prepare()
            }
            outcome = .success(try await schedule.run(runtimes))
        } catch {
            outcome = .failure(error)
        }
        for runtime in runtimes { await runtime.removePod() }
        if !parentWasThere { CgroupParent.removeIfEmpty(cgroupParent) }
        try? FileManager.default.removeItem(atPath: logDirectory)
        return try outcome.get()
    }
}
