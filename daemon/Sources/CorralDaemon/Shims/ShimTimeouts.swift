/// How long the daemon waits on a shim; named settings of the config (`[timeouts]`), so that
/// one stuck shim costs its own pod's calls this much and nothing more.
struct ShimTimeouts: Sendable {
    /// Any single call to a running shim.
    var call: Duration = .seconds(10)
    /// `corral-shim start` until it prints its address.
    var start: Duration = .seconds(30)
    /// Reconnecting to a shim when the daemon starts.
    var connect: Duration = .seconds(2)
    /// One CNI plugin run in the shim.
    var cniPlugin: Duration = .seconds(25)

    /// What a pod's start may take in the shim: its own work, plus a hung plugin's ADD and the
    /// DEL that undoes it, each cut off at `cniPlugin`, so the shim's answer naming the plugin
    /// comes before the daemon gives up on it.
    var podStart: Duration { max(call, .seconds(60), cniPlugin * 2 + call) }
}

/// Runs `body`, giving up after `limit` with `onTimeout`'s error. The body is cancelled, not
/// awaited: a call stuck in the kernel must not keep the caller.
func withDeadline<T: Sendable>(_ limit: Duration, onTimeout: @escaping @Sendable () -> CRIError,
                               _ body: @escaping @Sendable () async throws -> T) async throws -> T {
    try await withThrowingTaskGroup(of: T?.self) { group in
        group.addTask { try await body() }
        group.addTask {
            // Cancelled: the body finished first.
            try? await Task.sleep(for: limit)
            return nil
        }
        defer { group.cancelAll() }
        while let result = try await group.next() {
            if let value = result { return value }
            throw onTimeout()
        }
        throw onTimeout()
    }
}
