#if canImport(Glibc)
import Glibc
#endif
import CorralSystem
import CRIAPI
import OCISpec

/// The container's mounts: the kernel file systems, then the pod's files and the request's
/// bind mounts, shallow destinations before deep ones so none hides another.
struct ContainerMounts {
    var mounts: [Mount]
    /// "rshared" or "rslave" when a mount's propagation needs the root to carry it.
    var rootfsPropagation: String?

    /// - Parameter resolveHostPath: symlinks resolved, or the errno text when the path is unusable.
    static func make(_ config: Runtime_V1_ContainerConfig, podFiles: PodFileMounts, hostIPC: Bool,
                     resolveHostPath: (String) -> Result<String, SpecFailure> = Self.resolve) throws(SpecError) -> ContainerMounts {
        let context = config.linux.securityContext
        let requested = config.mounts
        let requestedDestinations = Set(requested.map { Paths.clean($0.containerPath) })

        // The pod's files, unless the request mounts something of its own there.
        var podMounts: [Runtime_V1_Mount] = []
        func add(_ destination: String, _ source: String, readonly: Bool) {
            guard !source.isEmpty, !requestedDestinations.contains(destination) else { return }
            var mount = Runtime_V1_Mount()
            mount.containerPath = destination
            mount.hostPath = source
            mount.readonly = readonly
            podMounts.append(mount)
        }
        add("/etc/hostname", podFiles.hostname, readonly: context.readonlyRootfs)
        add("/etc/hosts", podFiles.hosts, readonly: context.readonlyRootfs)
        add("/etc/resolv.conf", podFiles.resolvConf, readonly: context.readonlyRootfs)
        add("/dev/shm", hostIPC ? "/dev/shm" : podFiles.shm, readonly: false)

        // Index in the request (nil for a pod file), for messages. Sorted by depth, stably, so
        // the request's order holds among mounts of the same depth.
        let unsorted: [(index: Int?, mount: Runtime_V1_Mount)] =
            requested.enumerated().map { ($0.offset, $0.element) } + podMounts.map { (nil, $0) }
        let binds = unsorted.enumerated()
            .sorted { (Paths.depth($0.element.mount.containerPath), $0.offset)
                    < (Paths.depth($1.element.mount.containerPath), $1.offset) }
            .map(\.element)

        let bindDestinations = Set(binds.map { Paths.clean($0.mount.containerPath) })
        var result = ContainerMounts(mounts: [], rootfsPropagation: nil)
        for mount in ContainerDefaults.mounts {
            let destination = Paths.clean(mount.destination)
            if bindDestinations.contains(destination) { continue }
            if bindDestinations.contains("/dev") && destination.hasPrefix("/dev/") { continue }
            var kept = mount
            if context.privileged && (mount.type == "sysfs" || mount.type == "cgroup") {
                kept.options = mount.options?.map { $0 == "ro" ? "rw" : $0 }
            }
            result.mounts.append(kept)
        }

        for (index, mount) in binds {
            let field = index.map { "mounts[\($0)].host_path" } ?? "pod file for \(mount.containerPath)"
            let source: String
            switch resolveHostPath(mount.hostPath) {
            case .success(let path): source = path
            case .failure(.missing(let reason)):
                throw .notFound("\(field) \(quoted(mount.hostPath)): \(reason)")
            case .failure(.unusable(let reason)):
                throw .invalidArgument("\(field) \(quoted(mount.hostPath)): \(reason)")
            }
            if mount.recursiveReadOnly {
                let name = index.map { "mounts[\($0)]" } ?? field
                guard mount.readonly else {
                    throw .invalidArgument("\(name) at \(mount.containerPath): recursive_read_only needs readonly")
                }
                guard mount.propagation == .propagationPrivate else {
                    throw .invalidArgument("\(name) at \(mount.containerPath): recursive_read_only conflicts with propagation \(mount.propagation)")
                }
            }
            var options = ["rbind"]
            switch mount.propagation {
            case .propagationBidirectional:
                options.append("rshared")
                result.rootfsPropagation = "rshared"
            case .propagationHostToContainer:
                options.append("rslave")
                if result.rootfsPropagation != "rshared" { result.rootfsPropagation = "rslave" }
            default:
                // runc's default root propagation is rprivate already.
                options.append("rprivate")
            }
            options.append(mount.readonly ? "ro" : "rw")
            // The runtime-spec's name for it; corrald stages the read-only copy itself (runc
            // before 1.2 does not know it), see the daemon's StagedMounts.
            if mount.recursiveReadOnly { options.append("rro") }
            result.mounts.append(Mount(destination: mount.containerPath, type: "bind", source: source, options: options))
        }
        return result
    }

    static func resolve(_ path: String) -> Result<String, SpecFailure> {
        HostFiles.resolve(path).mapError(SpecFailure.init)
    }
}

/// Why a host path named in a request cannot be used: missing (NOT_FOUND) or otherwise.
enum SpecFailure: Error, Equatable {
    case missing(String)
    case unusable(String)

    init(_ error: SystemError) {
        self = error.errno == ENOENT ? .missing(error.reason) : .unusable(error.reason)
    }
}
