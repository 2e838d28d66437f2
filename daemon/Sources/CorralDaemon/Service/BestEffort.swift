import Logging

extension CRIService {
    /// A step whose failure must not fail the call it belongs to (a cleanup, a notice to a shim
    /// that may be gone, a record of an exit while the store is unwell): its failure is logged,
    /// never dropped. The step's value, or nil when it failed.
    @discardableResult
    func bestEffort<T: Sendable>(_ what: @autoclosure () -> String, level: Logger.Level = .warning,
                                 _ metadata: Logger.Metadata = [:], _ step: () async throws -> T) async -> T? {
        do {
            return try await step()
        } catch {
            var details = metadata
            details["error"] = "\(error)"
            logger.log(level: level, "\(what()) failed", metadata: details)
            return nil
        }
    }
}
