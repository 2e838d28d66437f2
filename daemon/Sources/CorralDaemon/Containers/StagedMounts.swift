import CorralImages
import CorralSystem
import OCISpec

#if canImport(Glibc)
import Glibc
#endif

/// Host paths corrald stages as mounts under the bundle for the container, in the two cases
/// Debian 12's runc (1.1) cannot handle itself:
/// - recursive read-only binds (the runtime-spec's `rro` option): a copy of the host path's
///   whole mount tree with every mount in it read-only (`mount_setattr` with AT_RECURSIVE);
///   runc before 1.2 would drop the option and leave submounts writable;
/// - a pod in a user namespace of its own: every bind, and each of the image's layers under
///   the rootfs' overlay, ID-mapped through that namespace, so that the container's root owns
///   what the host's root owns. The upper dir goes to the container's root.
/// The runtime binds the copies; once it has created the container they are released
/// (StartContainer), as the container's mount namespace holds copies of its own.
enum StagedMounts {
    static let recursiveReadOnlyOption = "rro"

    static func directory(bundle: String) -> String { bundle + "/staged" }

    /// The pod's user namespace as a container's staging needs it.
    struct UserNamespace: Sendable, Equatable {
        var path: String
        /// The host IDs the container's root maps to, which own its upper dir.
        var rootUID: UInt32
        var rootGID: UInt32
    }

    /// Stages what `spec` and `rootfs` need and points them at the copies. On failure what was
    /// staged is released and the error names the mount.
    static func stage(_ spec: inout Spec, rootfs: inout RootfsMount, bundle: String, userNamespace: UserNamespace?,
                      staging: any MountStaging) throws(CRIError) {
        let directory = directory(bundle: bundle)
        func copy(_ source: String, to name: String, as mount: StagedMount, what: String) throws(CRIError) -> String {
            let target = directory + "/" + name
            do {
                try staging.stage(source, at: target, as: mount)
            } catch {
                _ = staging.release(directory)
                // mount_setattr's answer for a file system that takes no ID mapping (sysfs, procfs,
                // some network file systems): the request's to change, not ours.
                if mount.userNamespace != nil && (error.errno == EINVAL || error.errno == EOPNOTSUPP) {
                    throw .invalidArgument("\(what): its file system cannot be ID-mapped (\(error))")
                }
                throw .internalError("\(what): \(error)")
            }
            return target
        }

        var mounts = spec.mounts ?? []
        for index in mounts.indices where mounts[index].type == "bind" {
            let recursive = mounts[index].options?.contains(recursiveReadOnlyOption) == true
            guard recursive || userNamespace != nil else { continue }
            let source = mounts[index].source ?? ""
            let kind = [recursive ? "recursive read-only" : nil, userNamespace != nil ? "ID-mapped" : nil]
                .compactMap { $0 }.joined(separator: ", ")
            mounts[index].source = try copy(source, to: "m\(index)",
                                            as: StagedMount(readOnly: recursive, makePrivate: recursive,
                                                            userNamespace: userNamespace?.path),
                                            what: "\(kind) mount of \(source) at \(mounts[index].destination)")
            mounts[index].options?.removeAll { $0 == recursiveReadOnlyOption }
        }
        spec.mounts = mounts.isEmpty ? spec.mounts : mounts

        guard let userNamespace else { return }
        // runc's init enters the user namespace before it mounts the rootfs: as an unprivileged
        // host ID it must be able to walk the path to the bundle.
        var path = bundle
        while path != "/" && !path.isEmpty {
            if let status = try? FileSystem.status(path), status.permissions & 0o001 == 0 {
                _ = staging.release(directory)
                throw .failedPrecondition("\(path) is not searchable by others (mode \(String(status.permissions, radix: 8))), so the root of a user namespace cannot reach the bundle \(bundle); give it mode 0711")
            }
            path = FileSystem.parent(of: path)
        }
        for (index, option) in rootfs.options.enumerated() {
            if option.hasPrefix("lowerdir=") {
                let lowers = option.dropFirst("lowerdir=".count).split(separator: ":").map(String.init)
                var staged: [String] = []
                for (layer, lower) in lowers.enumerated() {
                    staged.append(try copy(lower, to: "l\(layer)", as: StagedMount(readOnly: true, userNamespace: userNamespace.path),
                                           what: "ID-mapped image layer \(lower)"))
                }
                rootfs.options[index] = "lowerdir=" + staged.joined(separator: ":")
            } else if option.hasPrefix("upperdir=") {
                let upper = String(option.dropFirst("upperdir=".count))
                do {
                    try staging.changeOwner(of: upper, uid: userNamespace.rootUID, gid: userNamespace.rootGID)
                } catch {
                    _ = staging.release(directory)
                    throw .internalError("giving the rootfs' upper dir \(upper) to the container's root: \(error)")
                }
            }
        }
    }
}
