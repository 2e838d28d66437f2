import CorralSystem
import Logging

#if canImport(Glibc)
import Glibc
#endif

/// The shim binary as shims run it: a read-only bind mount of it under the state dir.
///
/// A process the shim execs in a container is a fork of the shim until its execve, and one that
/// execs a script whose interpreter is /proc/self/exe (or a link to it) runs the shim's binary
/// inside the container, where /proc/PID/exe leads back to the file on the host: the hole
/// CVE-2019-5736 opened through runc. Reached through a read-only mount, the file cannot be
/// opened for writing, by root in a container either.
enum ShimBinary {
    static func readOnlyMount(of binary: String, stateRoot: String, logger: Logger) -> String {
        let directory = stateRoot + "/bin"
        let target = directory + "/corral-shim"
        do {
            try FileSystem.makeDirectories(directory, mode: 0o700)
            // One left by an earlier corrald may be an older binary: mount the current one.
            while Mounts.unmount(target) {}
            if !FileSystem.exists(target) {
                try FileDescriptor.open(target, O_WRONLY | O_CREAT | O_CLOEXEC, mode: 0o500).close()
            }
            try Mounts.bind(binary, to: target, readOnly: true)
            return target
        } catch {
            logger.warning("running shims from \(binary) itself: its read-only mount failed: \(error)")
            return binary
        }
    }

    /// Shims already running keep their executable through the detached mount.
    static func release(_ path: String, stateRoot: String) {
        guard path == stateRoot + "/bin/corral-shim" else { return }
        Mounts.unmount(path)
        FileSystem.remove(path)
    }
}
