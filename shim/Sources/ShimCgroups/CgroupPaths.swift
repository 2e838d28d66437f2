/// The directories of one cgroup in every mounted hierarchy.
public struct CgroupPaths: Sendable, Equatable {
    /// v1 directories keyed by controller; co-mounted controllers map to the same directory.
    public var legacy: [String: String]
    /// The cgroup2 directory: the only one on a v2 host, a controller-less extra in hybrid mode
    /// (runc creates it there too, so cleanup must remove it).
    public var unified: String?

    public init(legacy: [String: String] = [:], unified: String? = nil) {
        self.legacy = legacy
        self.unified = unified
    }

    /// Where `controller`'s files are: its v1 hierarchy when it has one, else the v2 directory.
    public func directory(for controller: String) -> (path: String, version: CgroupVersion)? {
        if let path = legacy[controller] { return (path, .v1) }
        if let path = unified { return (path, .v2) }
        return nil
    }

    /// Every distinct directory, one per mounted hierarchy.
    public var allDirectories: [String] {
        var seen: Set<String> = []
        var result: [String] = []
        for path in legacy.keys.sorted().compactMap({ legacy[$0] }) + (unified.map { [$0] } ?? [])
        where seen.insert(path).inserted {
            result.append(path)
        }
        return result
    }
}

/// Which file names a directory speaks.
public enum CgroupVersion: Sendable, Equatable {
    case v1
    case v2
}

/// Path arithmetic inside a hierarchy, without touching the file system.
enum CgroupPath {
    /// `path` as components with ".", "" and ".." resolved, never climbing above the root (runc's CleanPath).
    static func components(_ path: some StringProtocol) -> [Substring] {
        var result: [Substring] = []
        for component in path.split(separator: "/") {
            switch component {
            case ".": continue
            case "..": _ = result.popLast()
            default: result.append(Substring(component))
            }
        }
        return result
    }

    /// `base` joined with the cleaned `path`.
    static func join(_ base: String, _ path: some StringProtocol) -> String {
        let rest = components(path)
        guard !rest.isEmpty else { return base }
        return (base.hasSuffix("/") ? String(base.dropLast()) : base) + "/" + rest.joined(separator: "/")
    }

    /// `path` below `root`, or nil when it lies outside (a cgroup not visible through this mount).
    static func relative(_ path: String, to root: String) -> [Substring]? {
        let pathComponents = components(path)
        let rootComponents = components(root)
        guard pathComponents.starts(with: rootComponents) else { return nil }
        return Array(pathComponents.dropFirst(rootComponents.count))
    }
}
