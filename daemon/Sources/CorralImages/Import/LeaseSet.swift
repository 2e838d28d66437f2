import Synchronization

/// The leases one operation took, released together when it ends.
final class LeaseSet: Sendable {
    private let leases: Leases
    private let keys = Mutex<[String]>([])

    init(_ leases: Leases) {
        self.leases = leases
    }

    func add(_ key: String) {
        leases.acquire([key])
        keys.withLock { $0.append(key) }
    }

    func releaseAll() {
        let all = keys.withLock { keys in
            defer { keys = [] }
            return keys
        }
        leases.release(all)
    }
}
