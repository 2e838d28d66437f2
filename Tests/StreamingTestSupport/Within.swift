/// Runs `body`, failing the test instead of hanging it when it takes longer than `seconds`.
public func within<T: Sendable>(_ seconds: Double = 20, _ what: String = "operation",
                               _ body: @escaping @Sendable () async throws -> T) async throws -> T {
    try await withThrowingTaskGroup(of: T?.self) { group in
        group.addTask { try await body() }
        group.addTask {
            try? await Task.sleep(for: .milliseconds(Int(seconds * 1000)))
            return nil
        }
        defer { group.cancelAll() }
        guard let first = try await group.next(), let value = first else {
            throw StreamTestFailure("\(what) took longer than \(seconds)s")
        }
        return value
    }
}
