import CorralSystem
import ShimAPI

#if canImport(Glibc)
import Glibc
#endif

/// The namespaces a pod's containers share, held by the shim rather than by a pause process:
/// net, ipc and uts pinned as bind mounts under the state dir, pid held by a tiny init; for a
/// pod with a user namespace of its own, that one pinned too, owning all the others.
struct PodNamespaces: Sendable, Equatable {
    var user: String?
    var network: String?
    var ipc: String?
    var uts: String?
    var initPID: Int32?

    var pidPath: String? { initPID.map { "/proc/\($0)/ns/pid" } }

    var paths: Corral_Shim_V1_NamespacePaths {
        var paths = Corral_Shim_V1_NamespacePaths()
        paths.network = network ?? ""
        paths.ipc = ipc ?? ""
        paths.uts = uts ?? ""
        paths.pid = pidPath ?? ""
        paths.user = user ?? ""
        return paths
    }

    /// For the log. Spelled out: interpolating the struct itself would go through reflection,
    /// whose first use in a fresh shim costs most of a millisecond of type-metadata lookups.
    var summary: String {
        let held = [("user", user), ("net", network), ("ipc", ipc), ("uts", uts)].compactMap { name, path in path.map { "\(name) \($0)" } }
        let pid = initPID.map { ["pid held by init \($0)"] } ?? []
        let all = held + pid
        return all.isEmpty ? "none of its own" : all.joined(separator: ", ")
    }

    /// Creates what the options ask for. On failure nothing created here remains.
    static func create(in directory: String, options: Corral_Shim_V1_NamespaceOptions, hostname: String,
                       executable: String) throws(SystemError) -> PodNamespaces {
        try FileSystem.makeDirectories(directory, mode: 0o711)
        var kinds: Namespaces.Kinds = []
        var result = PodNamespaces()
        if options.network != .node {
            kinds.insert(.network)
            result.network = directory + "/net"
            // A pod on the host network keeps the host's name too, as kubelet expects.
            kinds.insert(.uts)
            result.uts = directory + "/uts"
        }
        if options.ipc != .node {
            kinds.insert(.ipc)
            result.ipc = directory + "/ipc"
        }
        let initCommand = options.pid == .pod ? (executable, [executable, "init"]) : nil
        if options.uidMappings.isEmpty {
            result.initPID = try Namespaces.createPinned(
                kinds, hostname: hostname, network: result.network, ipc: result.ipc, uts: result.uts,
                spawningInit: initCommand)
        } else {
            result.user = directory + "/user"
            let child = try Namespaces.createPinnedInUserNamespace(
                kinds, uidMap: mapText(options.uidMappings), gidMap: mapText(options.gidMappings), hostname: hostname,
                user: directory + "/user", network: result.network, ipc: result.ipc, uts: result.uts,
                spawningInit: initCommand)
            if initCommand != nil { result.initPID = child }
        }
        return result
    }

    /// The text a uid_map or gid_map takes: one "inside outside length" line per mapping.
    static func mapText(_ mappings: [Corral_Shim_V1_IDMapping]) -> String {
        mappings.map { "\($0.containerID) \($0.hostID) \($0.length)\n" }.joined()
    }

    /// Unpins every namespace and stops the init; safe to repeat.
    func release() {
        for case let path? in [network, ipc, uts, user] { Namespaces.release(path) }
        if let initPID, initPID > 1 { kill(initPID, SIGKILL) }
    }
}
