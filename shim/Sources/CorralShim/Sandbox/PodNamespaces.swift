import CorralSystem
import ShimAPI

#if canImport(Glibc)
import Glibc
#endif

/// The namespaces a pod's containers share, held by the shim rather than by a pause process:
/// net, ipc and uts pinned as bind mounts under the state dir, pid held by a tiny init.
struct PodNamespaces: Sendable, Equatable {
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
        return paths
    }

    /// For the log. Spelled out: interpolating the struct itself would go through reflection,
    /// whose first use in a fresh shim costs most of a millisecond of type-metadata lookups.
    var summary: String {
        let held = [("net", network), ("ipc", ipc), ("uts", uts)].compactMap { name, path in path.map { "\(name) \($0)" } }
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
        result.initPID = try Namespaces.createPinned(
            kinds, hostname: hostname, network: result.network, ipc: result.ipc, uts: result.uts,
            spawningInit: options.pid == .pod ? (executable, [executable, "init"]) : nil)
        return result
    }

    /// Unpins every namespace and stops the init; safe to repeat.
    func release() {
        for case let path? in [network, ipc, uts] { Namespaces.release(path) }
        if let initPID, initPID > 1 { kill(initPID, SIGKILL) }
    }
}
