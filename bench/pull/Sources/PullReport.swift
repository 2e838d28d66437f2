import BenchSupport

/// Every run of every case against every runtime: what `measure --json` writes and `compare` reads.
struct PullReport: JSONReport, Sendable {
    struct Runtime: Codable, Sendable {
        var name: String
        var endpoint: String
        /// The runtime's own name and version, as Version answers.
        var version: String
        var pid: Int32?
    }

    /// One cold pull (or, in (c) and (d), one batch of pulls at once).
    struct Sample: Codable, Sendable {
        /// From the first PullImage sent until the last one returned.
        var milliseconds: Double
        /// The server's user + system time over the same span (10 ms ticks).
        var cpuSeconds: Double?
        /// VmRSS just before the pull.
        var idleKiB: Int?
        /// VmHWM just after it, the peak having been reset just before (see `peakReset`).
        var peakKiB: Int?
        var peakReset: Bool
        /// GETs of each blob of the case's repositories in the registry's log during the pull,
        /// by digest; nil when the log was not given.
        var blobFetches: [String: Int]?

        var peakAboveIdleKiB: Int? {
            guard let idleKiB, let peakKiB, peakReset else { return nil }
            return peakKiB - idleKiB
        }
    }

    struct Case: Codable, Sendable {
        var pullCase: PullCase
        var images: Int
        var layers: Int
        /// Compressed bytes of all the case's images (manifests, configs, layers), as pushed.
        var bytes: Int
        /// Blobs each run should fetch exactly once (the case's configs and layers).
        var blobs: [String]
        var samples: [String: [Sample]]
        /// Per runtime, the error of the pull that failed (its later runs of the case were skipped).
        var failures: [String: String]
    }

    var runs: Int
    var runtimes: [Runtime]
    var cases: [Case]
}
