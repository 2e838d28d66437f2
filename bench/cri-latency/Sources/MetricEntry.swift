/// One call's samples in a report, with their summary.
struct MetricEntry: Codable, Sendable {
    var metric: Metric
    var summary: LatencySummary
    /// For ListContainers: how many containers the runtime returned while it was timed.
    var containers: Int?
    var samplesMs: [Double]

    init(metric: Metric, samplesMs: [Double], containers: Int? = nil) {
        self.metric = metric
        summary = LatencySummary(samplesMs)
        self.containers = containers
        self.samplesMs = samplesMs
    }
}
