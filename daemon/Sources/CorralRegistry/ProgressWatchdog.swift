import Synchronization

/// Fails work that stops making progress: `run` ends `body` with a timeout error once
/// `touch` has not been called for `timeout`.
package final class ProgressWatchdog: Sendable {
    private let last = Mutex(ContinuousClock.now)
    let timeout: Duration

    package init(timeout: Duration) {
        self.timeout = timeout
    }

    func touch() {
        last.withLock { $0 = .now }
    }

    package func run<T: Sendable>(_ what: String, _ body: @escaping @Sendable () async throws -> T) async throws -> T {
        touch()
        return try await withThrowingTaskGroup(of: T?.self) { group in
            group.addTask { try await body() }
            group.addTask { [self] in
                while true {
                    let idle = ContinuousClock.now - last.withLock { $0 }
                    if idle >= timeout {
                        throw ImageError.timeout("\(what): no progress for \(timeout), cancelled")
                    }
                    try await Task.sleep(for: min(timeout - idle, .seconds(1)))
                }
            }
            defer { group.cancelAll() }
            while let result = try await group.next() {
                if let value = result { return value }
            }
            throw CancellationError()
        }
    }
}
