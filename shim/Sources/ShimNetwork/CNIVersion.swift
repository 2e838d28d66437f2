/// A CNI spec version such as "0.4.0", compared numerically.
struct CNIVersion: Comparable {
    var major: Int
    var minor: Int
    var patch: Int

    /// Empty or unreadable versions count as 0.1.0, the version CNI assumes when none is given,
    /// so an odd config loses the newer commands instead of failing the pod.
    init(_ text: String) {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false).map { Int($0) }
        guard (1...3).contains(parts.count), parts.allSatisfy({ $0 != nil }) else {
            (major, minor, patch) = (0, 1, 0)
            return
        }
        major = parts[0]!
        minor = parts.count > 1 ? parts[1]! : 0
        patch = parts.count > 2 ? parts[2]! : 0
    }

    static func < (lhs: CNIVersion, rhs: CNIVersion) -> Bool {
        (lhs.major, lhs.minor, lhs.patch) < (rhs.major, rhs.minor, rhs.patch)
    }

    /// CHECK, and passing the cached result to DEL, arrived in 0.4.0.
    static let checkAndCachedDelete = CNIVersion("0.4.0")
}
