import Synchronization

/// Work keyed by what it produces, done once however many ask at the same time: the
/// second asker waits for the first one's result. The work runs in a task of its own, so
/// one asker giving up does not cancel it for the others.
final class InFlight<Value: Sendable>: Sendable {
    private let running = Mutex<[String: Task<Value, any Error>]>([:])

    func run(_ key: String, _ body: @escaping @Sendable () async throws -> Value) async throws -> Value {
        let task = running.withLock { running -> Task<Value, any Error> in
            if let task = running[key] { return task }
            let task = Task<Value, any Error> {
                defer { _ = self.running.withLock { $0.removeValue(forKey: key) } }
                return try await body()
            }
            running[key] = task
            return task
        }
        return try await task.value
    }

    var count: Int { running.withLock { $0.count } }
}
