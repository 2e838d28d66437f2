import CRIAPI
import OCISpec

/// The namespaces a container gets: the pod's pinned ones where the pod has them, the host's
/// where the mode is NODE (by leaving the namespace out), a new one otherwise.
enum ContainerNamespaces {
    /// The container's own namespace options; kubelet always sends them, the pod's stand in otherwise.
    static func options(_ input: ContainerSpecInput) -> Runtime_V1_NamespaceOption {
        let context = input.config.linux.securityContext
        return context.hasNamespaceOptions ? context.namespaceOptions
                                           : input.sandboxConfig.linux.securityContext.namespaceOptions
    }

    static func make(_ options: Runtime_V1_NamespaceOption, paths: PodNamespacePaths, targetPID: String,
                     privileged: Bool, host: HostFacts) throws(SpecError) -> [LinuxNamespace] {
        func joined(_ type: NamespaceType, _ path: String) -> LinuxNamespace {
            LinuxNamespace(type: type, path: path.isEmpty ? nil : path)
        }
        var namespaces: [LinuxNamespace] = []
        switch options.pid {
        case .container: namespaces.append(LinuxNamespace(type: .pid))
        case .node: break
        case .target:
            guard !targetPID.isEmpty else {
                throw .invalidArgument("linux.security_context.namespace_options.target_id \(quoted(options.targetID)): the target container has no PID namespace known")
            }
            namespaces.append(joined(.pid, targetPID))
        default:
            // A pod that shares no PID namespace of its own leaves the path empty: a new one, never the host's.
            namespaces.append(joined(.pid, paths.pid))
        }
        if options.ipc != .node { namespaces.append(joined(.ipc, paths.ipc)) }
        if options.network != .node { namespaces.append(joined(.uts, paths.uts)) }
        namespaces.append(LinuxNamespace(type: .mount))
        if options.network != .node { namespaces.append(joined(.network, paths.network)) }
        // containerd hides the host's cgroup tree on cgroup v2 only; v1 containers see their paths.
        if host.unifiedCgroups && !privileged { namespaces.append(LinuxNamespace(type: .cgroup)) }
        return namespaces
    }
}
