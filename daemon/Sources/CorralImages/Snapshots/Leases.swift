import Synchronization

/// Blobs and snapshots that work under way is about to use, so garbage collection leaves
/// them alone. Collection runs inside `exclusive`, so a lease is either taken before it
/// looks (and the thing stays) or after it is done (and whoever took it finds it gone).
final class Leases: Sendable {
    private let held = Mutex<[String: Int]>([:])

    func acquire(_ keys: some Sequence<String>) {
        held.withLock { held in
            for key in keys { held[key, default: 0] += 1 }
        }
    }

    func release(_ keys: some Sequence<String>) {
        held.withLock { held in
            for key in keys {
                let count = (held[key] ?? 1) - 1
                held[key] = count > 0 ? count : nil
            }
        }
    }

    func exclusive<R: Sendable>(_ body: (_ isHeld: (String) -> Bool) throws -> R) throws -> R {
        try held.withLock { held in
            let snapshot = held
            return try body { snapshot[$0] != nil }
        }
    }
}
