#if canImport(Glibc)
import Glibc
#endif
import CorralSystem

/// Where the cgroup hierarchies are mounted, read once from mountinfo.
///
/// Every path the shim reads or removes hangs off one of these mounts, so tests (and v2-only
/// code paths on this v1 machine) build a layout over fabricated directories instead.
public struct CgroupLayout: Sendable, Equatable {
    public enum Mode: String, Sendable {
        /// Only v1 hierarchies.
        case v1
        /// v1 hierarchies plus a cgroup2 mount (usually /sys/fs/cgroup/unified) without controllers.
        case hybrid
        /// One cgroup2 hierarchy, nothing else.
        case v2
    }

    /// One mounted hierarchy.
    public struct Hierarchy: Sendable, Equatable {
        /// Controllers as /proc/PID/cgroup names them ("cpu", "cpuacct", "name=systemd"); empty for cgroup2.
        public var controllers: [String]
        public var mountPoint: String
        /// The cgroup mounted at `mountPoint`: "/" unless only a subtree is bind-mounted in.
        public var root: String

        public init(controllers: [String], mountPoint: String, root: String = "/") {
            self.controllers = controllers
            self.mountPoint = mountPoint
            self.root = root
        }
    }

    public var legacy: [Hierarchy]
    public var unified: Hierarchy?

    public init(legacy: [Hierarchy], unified: Hierarchy?) {
        self.legacy = legacy
        self.unified = unified
    }

    public var mode: Mode {
        if legacy.isEmpty { return .v2 }
        return unified == nil ? .v1 : .hybrid
    }

    /// A pure cgroup2 layout rooted at `mountPoint`.
    public static func v2(at mountPoint: String) -> CgroupLayout {
        CgroupLayout(legacy: [], unified: Hierarchy(controllers: [], mountPoint: mountPoint))
    }

    /// The layout this process sees.
    public static func current() throws(SystemError) -> CgroupLayout {
        CgroupLayout(mountInfo: try FileSystem.readText("/proc/self/mountinfo"))
    }

    /// The v1 hierarchy holding `controller`, if one is mounted.
    public func legacyHierarchy(for controller: String) -> Hierarchy? {
        legacy.first { $0.controllers.contains(controller) }
    }
}
