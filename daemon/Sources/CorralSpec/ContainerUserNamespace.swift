import CRIAPI
import OCISpec

/// A container of a pod with a user namespace of its own (hostUsers: false) joins that user
/// namespace, pinned by the shim, with the pod's maps in the spec (runc computes the host IDs
/// of the container's root from them). The pod decides, not the container: its network, IPC
/// and PID namespaces belong to that user namespace, and none of the host's may be shared.
enum ContainerUserNamespace {
    struct Membership: Equatable {
        var namespace: LinuxNamespace
        var uidMappings: [LinuxIDMapping]
        var gidMappings: [LinuxIDMapping]
    }

    static func make(_ input: ContainerSpecInput, options: Runtime_V1_NamespaceOption) throws(SpecError) -> Membership? {
        let pod = input.sandboxConfig.linux.securityContext.namespaceOptions
        let podHasOwn = pod.hasUsernsOptions && pod.usernsOptions.mode == .pod
        // kubelet sends the pod's options again for each container; one that differs is a mistake.
        if options.hasUsernsOptions && (options.usernsOptions.mode == .pod) != podHasOwn {
            throw .invalidArgument("linux.security_context.namespace_options.userns_options.mode: \("\(options.usernsOptions.mode)".uppercased()) differs from the pod's (\(podHasOwn ? "POD" : "NODE"))")
        }
        guard podHasOwn else { return nil }
        guard !input.namespaces.user.isEmpty else {
            throw .invalidArgument("the pod sandbox asks for a user namespace of its own and has none")
        }
        if input.config.linux.securityContext.privileged {
            throw .invalidArgument("linux.security_context.privileged: not allowed in a pod with a user namespace of its own")
        }
        for (name, mode) in [("network", options.network), ("pid", options.pid), ("ipc", options.ipc)] where mode == .node {
            throw .invalidArgument("linux.security_context.namespace_options.\(name): NODE is not allowed in a pod with a user namespace of its own")
        }
        func mappings(_ list: [Runtime_V1_IDMapping]) -> [LinuxIDMapping] {
            list.map { LinuxIDMapping(containerID: $0.containerID, hostID: $0.hostID, size: $0.length) }
        }
        return Membership(namespace: LinuxNamespace(type: .user, path: input.namespaces.user),
                          uidMappings: mappings(pod.usernsOptions.uids), gidMappings: mappings(pod.usernsOptions.gids))
    }
}
