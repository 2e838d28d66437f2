import BenchCRIClient
extension CRISession {
    /// `count` sessions to one endpoint for clients that run at once, each on a connection of
    /// its own, all closed after `body` whether it succeeds or not.
    static func withSessions<T>(
        _ count: Int, endpoint: String, _ body: ([CRISession]) async throws -> T
    ) async throws -> T {
        let sessions = (0..<count).map { _ in CRISession(endpoint: endpoint, coalesceFlushes: false) }
        let outcome: Result<T, any Error>
        do {
            outcome = .success(try await body(sessions))
        } catch {
            outcome = .failure(error)
        }
        for session in sessions { await session.reset() }
        return try outcome.get()
    }
}
