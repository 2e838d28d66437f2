import CRIAPI
import OCISpec

/// The capability sets of the container's process, as containerd 1.6/1.7 computes them: one
/// list in bounding, effective and permitted, for root and non-root alike (for a non-root user
/// the kernel empties effective and permitted at execve, so only bounding is left in
/// practice). Inheritable stays empty (CVE-2022-24769).
enum ContainerCapabilities {
    static func make(_ context: Runtime_V1_LinuxContainerSecurityContext, host: HostFacts) -> LinuxCapabilities {
        if context.privileged {
            return LinuxCapabilities(bounding: host.capabilities, effective: host.capabilities,
                                     inheritable: [], permitted: host.capabilities, ambient: [])
        }
        let requested = context.capabilities
        var set = Capabilities.defaults
        // "ALL" first, so that individual adds and drops still apply on top of it.
        if requested.addCapabilities.contains(where: { $0.uppercased() == "ALL" }) { set = host.capabilities }
        if requested.dropCapabilities.contains(where: { $0.uppercased() == "ALL" }) { set = [] }
        for name in requested.addCapabilities.compactMap(Capabilities.canonical) where !set.contains(name) {
            set.append(name)
        }
        let dropped = Set(requested.dropCapabilities.compactMap(Capabilities.canonical))
        set.removeAll { dropped.contains($0) }

        // containerd clears ambient capabilities; CRI-O honours add_ambient_capabilities, and the
        // kernel keeps an ambient one only if it is also permitted and inheritable.
        let ambient = requested.addAmbientCapabilities.compactMap(Capabilities.canonical)
            .reduce(into: [String]()) { if !$0.contains($1) { $0.append($1) } }
        var inheritable: [String] = []
        for name in ambient {
            if !set.contains(name) { set.append(name) }
            inheritable.append(name)
        }
        return LinuxCapabilities(bounding: set, effective: set, inheritable: inheritable, permitted: set, ambient: ambient)
    }
}
