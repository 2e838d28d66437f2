#if canImport(Glibc)
import Glibc
#endif

enum NetworkNamespacePath {
    /// True when `path` still names a namespace. An unmounted pin leaves an empty file
    /// behind, and plugins must not be pointed at it. Every namespace file lives on the one
    /// nsfs superblock, so sharing its device with our own netns identifies one (Glibc does
    /// not export statfs to Swift).
    static func isNamespace(_ path: String) -> Bool {
        var own = stat()
        var candidate = stat()
        guard stat("/proc/self/ns/net", &own) == 0, stat(path, &candidate) == 0 else { return false }
        return candidate.st_dev == own.st_dev
    }
}
