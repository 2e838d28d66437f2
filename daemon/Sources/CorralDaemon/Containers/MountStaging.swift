import CorralSystem

/// Mounts corrald prepares under a container's bundle for the runtime to bind from, where the
/// runtime cannot make them itself: a recursively read-only copy of a host path. `HostMountStaging`
/// on the host; a fake in the daemon's unit tests, which run without the right to mount.
protocol MountStaging: Sendable {
    func stageRecursiveReadOnly(_ source: String, at target: String) throws(SystemError)
    /// Detaches everything staged under `directory` and removes it; false when a mount stays.
    func release(_ directory: String) -> Bool
}

struct HostMountStaging: MountStaging {
    func stageRecursiveReadOnly(_ source: String, at target: String) throws(SystemError) {
        try FileSystem.makeDirectories(target, mode: 0o700)
        try Mounts.recursiveReadOnlyCopy(of: source, at: target)
    }

    func release(_ directory: String) -> Bool {
        guard FileSystem.exists(directory) else { return true }
        for name in (try? FileSystem.listDirectory(directory)) ?? [] {
            let path = directory + "/" + name
            // A copy held by a container that still runs stays attached in its mount namespace;
            // detaching ours is all that is ours to do.
            while Mounts.unmount(path) {}
        }
        FileSystem.removeTree(directory)
        return !FileSystem.exists(directory)
    }
}
