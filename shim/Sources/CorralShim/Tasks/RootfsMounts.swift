import CorralSystem
import ShimAPI
import TTRPC

/// Mounts the rootfs a task's request describes (an overlay of image layers, or a bind of a
/// prepared directory) at `bundle/rootfs`.
enum RootfsMounts {
    static func mount(_ mounts: [Corral_Shim_V1_Mount], at target: String) throws {
        guard mounts.count == 1, let mount = mounts.first else {
            throw RPCError(.invalidArgument, "rootfs needs exactly one mount, got \(mounts.count)")
        }
        try FileSystem.makeDirectories(target, mode: 0o755)
        switch mount.type {
        case "overlay":
            try Mounts.mount(mount.source.isEmpty ? "overlay" : mount.source, on: target, type: "overlay",
                             data: mount.options.joined(separator: ","))
        case "bind", "rbind":
            try Mounts.bind(mount.source, to: target, readOnly: mount.options.contains("ro"))
        default:
            throw RPCError(.invalidArgument, "rootfs mount type \(mount.type) is not supported (overlay or bind)")
        }
    }
}
