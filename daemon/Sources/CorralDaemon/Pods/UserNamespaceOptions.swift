import CRIAPI
import ShimAPI

/// A pod's `userns_options` (hostUsers: false): NODE is the host's user namespace; POD a user
/// namespace of the pod's own with one uid and one gid mapping, as kubelet sends them, that
/// maps the container's root. Per-container (CONTAINER) and TARGET namespaces are refused, as
/// kubelet never asks for them and containerd refuses them too.
enum UserNamespaceOptions {
    /// The pod's mappings when it asks for a user namespace of its own (validated already).
    static func mappings(_ options: Runtime_V1_NamespaceOption) -> (uids: [Runtime_V1_IDMapping], gids: [Runtime_V1_IDMapping])? {
        guard options.hasUsernsOptions, options.usernsOptions.mode == .pod, !options.usernsOptions.uids.isEmpty else { return nil }
        return (options.usernsOptions.uids, options.usernsOptions.gids)
    }

    static func validate(_ options: Runtime_V1_NamespaceOption, field: String) throws(CRIError) {
        // Absent: the host's, as kubelet before user namespaces (and critest's other specs) mean it.
        guard options.hasUsernsOptions else { return }
        let userns = options.usernsOptions
        switch userns.mode {
        case .node:
            guard userns.uids.isEmpty && userns.gids.isEmpty else {
                throw .invalidArgument("\(field).userns_options: mappings given with mode NODE")
            }
            return
        case .pod:
            break
        default:
            throw .invalidArgument("\(field).userns_options.mode: \("\(userns.mode)".uppercased()) is not supported; use POD or NODE")
        }
        for (name, mappings) in [("uids", userns.uids), ("gids", userns.gids)] {
            guard mappings.count == 1 else {
                throw .invalidArgument("\(field).userns_options.\(name): exactly one mapping is supported, got \(mappings.count)")
            }
            let mapping = mappings[0]
            guard mapping.containerID == 0 else {
                throw .invalidArgument("\(field).userns_options.\(name)[0]: container ID 0 (root) is not mapped; the mapping starts at \(mapping.containerID)")
            }
            guard mapping.length > 0, UInt64(mapping.hostID) + UInt64(mapping.length) <= UInt64(UInt32.max) else {
                throw .invalidArgument("\(field).userns_options.\(name)[0]: host IDs \(mapping.hostID)+\(mapping.length) are out of range")
            }
            guard mapping.hostID > 0 else {
                throw .invalidArgument("\(field).userns_options.\(name)[0]: maps the container's root to the host's root")
            }
        }
        for (name, mode) in [("network", options.network), ("pid", options.pid), ("ipc", options.ipc)] where mode == .node {
            throw .invalidArgument("\(field).\(name): NODE cannot be combined with a user namespace of the pod's own")
        }
    }

    static func shimMapping(_ mapping: Runtime_V1_IDMapping) -> Corral_Shim_V1_IDMapping {
        .with {
            $0.containerID = mapping.containerID
            $0.hostID = mapping.hostID
            $0.length = mapping.length
        }
    }
}
