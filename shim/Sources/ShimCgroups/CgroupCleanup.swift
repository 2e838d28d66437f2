#if canImport(Glibc)
import Glibc
#endif
import CorralSystem

/// Removes cgroups runc left behind.
public enum CgroupCleanup {
    /// What could not be removed once the time ran out.
    public struct Failure: Error, CustomStringConvertible, Sendable, Equatable {
        public var errors: [SystemError]
        public var description: String {
            "cgroups left behind: " + errors.map(\.description).joined(separator: "; ")
        }
    }

    /// Removes each of `leaves` in every hierarchy, child cgroups first (a container may have
    /// made its own), then each of `parents` that is left empty, in the order given (innermost
    /// first). Gone already counts as removed. While the last processes are still exiting,
    /// rmdir fails with EBUSY; that is retried until `timeout` runs out.
    public static func remove(_ leaves: [CgroupPaths], parents: [CgroupPaths] = [],
                              timeout: Duration = .seconds(2)) async throws(Failure) {
        let deadline = ContinuousClock.now + timeout
        var delay = Duration.milliseconds(5)
        var pending = leaves.flatMap(\.allDirectories)
        var errors: [SystemError] = []
        while true {
            errors = []
            pending = pending.filter { directory in
                do throws(SystemError) {
                    try refuseMountRoot(directory)
                    try removeTree(directory)
                    return false
                } catch {
                    errors.append(error)
                    return true
                }
            }
            let retrying = errors.allSatisfy { $0.call == "rmdir" && ($0.errno == EBUSY || $0.errno == ENOTEMPTY) }
            if pending.isEmpty || !retrying || ContinuousClock.now + delay > deadline { break }
            try? await Task.sleep(for: delay)
            delay = min(delay * 2, .milliseconds(100))
        }
        for directory in parents.flatMap(\.allDirectories) {
            if let error = removeIfEmpty(directory) { errors.append(error) }
        }
        if !errors.isEmpty { throw Failure(errors: errors) }
    }

    /// rmdir of `directory` after every cgroup below it. Files in a cgroup directory are the
    /// kernel's; rmdir takes them along.
    static func removeTree(_ directory: String) throws(SystemError) {
        if let entries = try? FileSystem.listDirectory(directory) {
            for entry in entries where isDirectory(directory + "/" + entry) {
                try removeTree(directory + "/" + entry)
            }
        }
        if rmdir(directory) != 0 && errno != ENOENT { throw SystemError("rmdir", directory) }
    }

    /// A hierarchy's root holds every cgroup on the machine: a cgroupsPath of "/" or a wrong
    /// layout must never lead to removing what lies below it.
    private static func refuseMountRoot(_ directory: String) throws(SystemError) {
        var own = stat()
        var parent = stat()
        guard lstat(directory, &own) == 0, lstat(FileSystem.parent(of: directory), &parent) == 0 else { return }
        if own.st_dev != parent.st_dev || own.st_ino == parent.st_ino {
            throw SystemError("remove cgroup", directory + " is a mount point", errno: EINVAL)
        }
    }

    /// A parent another container still uses stays; any other failure is reported.
    private static func removeIfEmpty(_ directory: String) -> SystemError? {
        do throws(SystemError) { try refuseMountRoot(directory) } catch { return error }
        guard rmdir(directory) != 0 else { return nil }
        switch errno {
        case ENOENT, ENOTEMPTY, EBUSY: return nil
        default: return SystemError("rmdir", directory)
        }
    }

    private static func isDirectory(_ path: String) -> Bool {
        var info = stat()
        return lstat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFDIR
    }
}
