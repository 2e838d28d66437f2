import Synchronization

/// The OCI runtime's calls on one container, one after another. On cgroup v1, runc's
/// `kill --all` freezes the container's cgroup while it signals: a `delete` run meanwhile (the
/// container's exit, heard while a second kill is under way) finds the container paused and
/// refuses, and its cgroup stays on the host for good.
final class ContainerTurns: Sendable {
    private let last = Mutex<[String: Task<Void, Never>]>([:])

    /// Runs `body` once every call on `id` that came before it has finished.
    func run<T: Sendable>(_ id: String, _ body: @escaping @Sendable () async -> T) async -> T {
        let turn = last.withLock { turns -> Task<T, Never> in
            let previous = turns[id]
            let turn = Task {
                await previous?.value
                return await body()
            }
            turns[id] = Task { _ = await turn.value }
            return turn
        }
        return await turn.value
    }

    /// Drops the container's queue once nothing more will be run for it.
    func forget(_ id: String) {
        _ = last.withLock { $0.removeValue(forKey: id) }
    }
}
