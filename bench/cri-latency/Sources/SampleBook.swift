import BenchCRIClient
/// The raw samples of every metric, in milliseconds, as the scenario takes them.
struct SampleBook: Sendable {
    private(set) var samples: [Metric: [Double]] = [:]
    private let clock = ContinuousClock()

    /// Runs `body`, adds its wall time to `metric`, and returns the result with the time taken.
    mutating func time<T>(_ metric: Metric, _ body: () async throws -> T) async throws -> (T, Double) {
        let start = clock.now
        let value = try await body()
        let elapsed = Self.milliseconds(clock.now - start)
        samples[metric, default: []].append(elapsed)
        return (value, elapsed)
    }

    /// One call on the session's connection, timed; the connection is fetched (and, when due,
    /// replaced) before the clock starts.
    mutating func time<T>(
        _ metric: Metric, on session: CRISession, _ call: (CRIConnection) async throws -> T
    ) async throws -> (T, Double) {
        let cri = try await session.connection()
        return try await time(metric) { try await call(cri) }
    }

    mutating func add(_ metric: Metric, _ milliseconds: Double) {
        samples[metric, default: []].append(milliseconds)
    }

    static func milliseconds(_ duration: Duration) -> Double {
        let parts = duration.components
        return Double(parts.seconds) * 1e3 + Double(parts.attoseconds) / 1e15
    }
}
