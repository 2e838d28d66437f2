/// The stats of many pods or containers, asked of their shims all at once. One whose shim fails
/// or is stuck past its timeout is left out: it costs its own entry, not everyone's.
func concurrentStats<Item: Sendable, Stats: Sendable>(
    of items: [Item], _ stats: @escaping @Sendable (Item) async throws -> Stats
) async -> [Stats] {
    await withTaskGroup(of: Stats?.self) { group in
        for item in items {
            // An item that went away meanwhile (or whose shim is hung) has no stats: kubelet lists the rest.
            group.addTask { try? await stats(item) }
        }
        var collected: [Stats] = []
        for await result in group { if let result { collected.append(result) } }
        return collected
    }
}
