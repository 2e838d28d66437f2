import CorralSystem

#if canImport(Glibc)
import Glibc
#endif

/// What a staged copy of a host path is made as: every mount in it read-only (a recursive
/// read-only bind), private, ID-mapped through the pod's user namespace (pinned at that path).
struct StagedMount: Sendable, Equatable {
    var readOnly = false
    var makePrivate = false
    var userNamespace: String?
}

/// Mounts corrald prepares under a container's bundle for the shim and the runtime to use,
/// where the runtime cannot make them itself (runc before 1.2 makes neither recursive
/// read-only nor ID-mapped binds), and the ownership of a rootfs' upper dir. `HostMountStaging`
/// on the host; a fake in the daemon's unit tests, which run without the right to mount.
protocol MountStaging: Sendable {
    func stage(_ source: String, at target: String, as mount: StagedMount) throws(SystemError)
    /// Detaches everything staged under `directory` and removes it; false when a mount stays.
    func release(_ directory: String) -> Bool
    func changeOwner(of path: String, uid: UInt32, gid: UInt32) throws(SystemError)
}

struct HostMountStaging: MountStaging {
    func stage(_ source: String, at target: String, as mount: StagedMount) throws(SystemError) {
        try FileSystem.makeDirectories(FileSystem.parent(of: target), mode: 0o711)
        // A file is bound onto a file, a directory onto a directory.
        if try FileSystem.status(source).kind == .directory {
            try FileSystem.makeDirectories(target, mode: 0o711)
        } else {
            try FileDescriptor.open(target, O_WRONLY | O_CREAT | O_CLOEXEC, mode: 0o600).close()
        }
        let userNamespace = try mount.userNamespace.map { path throws(SystemError) in
            try FileDescriptor.open(path, O_RDONLY | O_CLOEXEC)
        }
        defer { userNamespace?.close() }
        try Mounts.copyTree(of: source, at: target, readOnly: mount.readOnly, makePrivate: mount.makePrivate,
                            idmap: userNamespace)
    }

    func release(_ directory: String) -> Bool {
        guard FileSystem.exists(directory) else { return true }
        for name in (try? FileSystem.listDirectory(directory)) ?? [] {
            // Each copy is one tree; detaching its top takes the whole of it.
            while Mounts.unmount(directory + "/" + name) {}
        }
        FileSystem.removeTree(directory)
        return !FileSystem.exists(directory)
    }

    func changeOwner(of path: String, uid: UInt32, gid: UInt32) throws(SystemError) {
        try FileSystem.changeOwner(path, uid: uid, gid: gid)
    }
}
