#if canImport(Glibc)
import Glibc
#endif
import CorralSystem

/// What this host offers containers, detected once: the generator itself stays a pure function
/// of its input, and tests describe any host they like.
public struct HostFacts: Sendable, Equatable {
    /// The daemon's effective capabilities: what "ALL" and privileged mean, since runc cannot
    /// grant a capability its caller lacks (here CAP_SYS_RESOURCE is missing).
    public var capabilities: [String]
    /// Whether the memory cgroup accounts swap; without it runc fails to write a swap limit.
    public var swapAccounting: Bool
    /// cgroup v2 unified hierarchy: containers then get a cgroup namespace, as containerd does.
    public var unifiedCgroups: Bool
    /// The node's hostname, for HOSTNAME when the pod names none.
    public var hostname: String

    public init(capabilities: [String] = Capabilities.known, swapAccounting: Bool = true,
                unifiedCgroups: Bool = false, hostname: String = "localhost") {
        self.capabilities = capabilities
        self.swapAccounting = swapAccounting
        self.unifiedCgroups = unifiedCgroups
        self.hostname = hostname
    }

    public static let current = detect()

    public static func detect() -> HostFacts {
        let unified = isCgroup2Root("/sys/fs/cgroup")
        return HostFacts(capabilities: Capabilities.current(), swapAccounting: swapAccountingAvailable(unified: unified),
                         unifiedCgroups: unified, hostname: systemHostname())
    }

    /// Only the root of a cgroup2 mount has cgroup.controllers, so /sys/fs/cgroup has it on
    /// a unified host and not on a v1 or hybrid one.
    static func isCgroup2Root(_ path: String) -> Bool {
        FileSystem.exists(path + "/cgroup.controllers")
    }

    static func swapAccountingAvailable(unified: Bool) -> Bool {
        guard unified else { return FileSystem.exists("/sys/fs/cgroup/memory/memory.memsw.limit_in_bytes") }
        // memory.swap.max exists in every cgroup but the root, so look at our own.
        let lines = ((try? FileSystem.readText("/proc/self/cgroup")) ?? "").split(separator: "\n")
        guard let own = lines.first(where: { $0.hasPrefix("0::") }) else { return false }
        let path = String(own.dropFirst(3))
        return FileSystem.exists("/sys/fs/cgroup" + (path == "/" ? "" : path) + "/memory.swap.max")
    }

    static func systemHostname() -> String {
        var buffer = [CChar](repeating: 0, count: 256)
        guard gethostname(&buffer, buffer.count - 1) == 0 else { return "localhost" }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
