/// Median and p99 of one call's samples, in milliseconds.
///
/// p99 is the nearest-rank percentile: with fewer than 100 samples it is the largest one, so
/// over 20 runs "p99" reads as "the worst of 20".
struct LatencySummary: Codable, Sendable, Equatable {
    var count: Int
    var medianMs: Double
    var p99Ms: Double

    init(_ samples: [Double]) {
        let sorted = samples.sorted()
        count = sorted.count
        guard !sorted.isEmpty else {
            medianMs = 0
            p99Ms = 0
            return
        }
        let middle = sorted.count / 2
        medianMs = sorted.count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
        let rank = Int((0.99 * Double(sorted.count)).rounded(.up))
        p99Ms = sorted[max(rank, 1) - 1]
    }

    /// Whether p99 is simply the maximum (fewer than 100 samples).
    var p99IsMax: Bool { count < 100 }
}
