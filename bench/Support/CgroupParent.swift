import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// The bench's own cgroup parent, which a runtime creates under every controller and leaves
/// behind once the last pod is gone.
public enum CgroupParent {
    /// Whether the parent exists in any hierarchy: one that did before the run is not ours.
    public static func exists(_ parent: String, root: String = "/sys/fs/cgroup") -> Bool {
        paths(parent, root: root).contains { FileManager.default.fileExists(atPath: $0) }
    }

    /// rmdir(2) of the parent in each hierarchy; a cgroup still in use refuses, which is fine.
    public static func removeIfEmpty(_ parent: String, root: String = "/sys/fs/cgroup") {
        for path in paths(parent, root: root) { _ = rmdir(path) }
    }

    private static func paths(_ parent: String, root: String) -> [String] {
        let relative = parent.split(separator: "/").joined(separator: "/")
        guard !relative.isEmpty else { return [] }
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []
        return ([root] + entries.map { root + "/" + $0 }).map { $0 + "/" + relative }
    }
}
