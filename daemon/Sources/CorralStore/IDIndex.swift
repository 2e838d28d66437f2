/// Full ids and unique prefixes of them, as containerd's truncindex resolves them, so operators and
/// crictl may name a pod or container by the first few digits of its id.
///
/// A sorted array: ids sharing a prefix sit next to each other, so a lookup is a binary search and a
/// look at the following one or two entries.
public struct IDIndex: Sendable, Equatable {
    public enum Resolution: Sendable, Equatable {
        case found(String)
        /// More than one id starts with the prefix.
        case ambiguous
        case notFound
    }

    private var sorted: [String] = []

    public init() {}

    public init(_ ids: some Sequence<String>) {
        sorted = Array(Set(ids)).sorted()
    }

    public var count: Int { sorted.count }
    public var ids: [String] { sorted }

    public func contains(_ id: String) -> Bool {
        let at = lowerBound(id)
        return at < sorted.endIndex && sorted[at] == id
    }

    /// Adds `id`; returns false when it was already there.
    @discardableResult
    public mutating func add(_ id: String) -> Bool {
        let at = lowerBound(id)
        if at < sorted.endIndex && sorted[at] == id { return false }
        sorted.insert(id, at: at)
        return true
    }

    /// Removes `id`; returns false when it was not there.
    @discardableResult
    public mutating func remove(_ id: String) -> Bool {
        let at = lowerBound(id)
        guard at < sorted.endIndex && sorted[at] == id else { return false }
        sorted.remove(at: at)
        return true
    }

    /// The one id equal to `prefix` or starting with it. An empty prefix names nothing, even when the
    /// index holds a single id, so a missing argument is never taken for "the only pod".
    public func resolve(_ prefix: String) -> Resolution {
        guard !prefix.isEmpty else { return .notFound }
        let at = lowerBound(prefix)
        guard at < sorted.endIndex, sorted[at].hasPrefix(prefix) else { return .notFound }
        // An exact match comes first in sort order and wins even if longer ids extend it.
        if sorted[at] == prefix { return .found(prefix) }
        let next = sorted.index(after: at)
        if next < sorted.endIndex && sorted[next].hasPrefix(prefix) { return .ambiguous }
        return .found(sorted[at])
    }

    private func lowerBound(_ key: String) -> Int {
        var low = 0
        var high = sorted.count
        while low < high {
            let mid = (low + high) / 2
            if sorted[mid] < key { low = mid + 1 } else { high = mid }
        }
        return low
    }
}
