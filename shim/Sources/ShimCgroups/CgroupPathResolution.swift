#if canImport(Glibc)
import Glibc
#endif
import CorralSystem

extension CgroupLayout {
    /// The directories runc's cgroupfs driver uses for an OCI `linux.cgroupsPath`.
    ///
    /// Absolute paths hang off each hierarchy's mount point; relative ones off the cgroup of the
    /// process running runc (`own`, by default this process's), as runc resolves them.
    public func paths(forCgroupsPath cgroupsPath: String, own: CgroupPaths? = nil) -> CgroupPaths {
        if cgroupsPath.hasPrefix("/") {
            var legacyPaths: [String: String] = [:]
            for hierarchy in legacy {
                let directory = CgroupPath.join(hierarchy.mountPoint, cgroupsPath)
                for controller in hierarchy.controllers { legacyPaths[controller] = directory }
            }
            return CgroupPaths(legacy: legacyPaths, unified: unified.map { CgroupPath.join($0.mountPoint, cgroupsPath) })
        }
        let base = own ?? (try? paths(ofProcess: getpid())) ?? paths(forCgroupsPath: "/")
        return CgroupPaths(legacy: base.legacy.mapValues { CgroupPath.join($0, cgroupsPath) },
                           unified: base.unified.map { CgroupPath.join($0, cgroupsPath) })
    }

    /// The directories of the cgroups `pid` is in, from /proc/PID/cgroup under `procRoot`.
    public func paths(ofProcess pid: pid_t, procRoot: String = "/proc") throws(SystemError) -> CgroupPaths {
        paths(procCgroup: try FileSystem.readText("\(procRoot)/\(pid)/cgroup"))
    }

    /// Resolves /proc/PID/cgroup text ("ID:controllers:path" lines) against the mounts.
    /// Hierarchies not mounted here, or cgroups outside a mount's root, are left out.
    public func paths(procCgroup text: String) -> CgroupPaths {
        var result = CgroupPaths()
        for line in text.split(separator: "\n") {
            let fields = line.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false)
            guard fields.count == 3 else { continue }
            let path = String(fields[2])
            if fields[1].isEmpty {
                guard let unified, let below = CgroupPath.relative(path, to: unified.root) else { continue }
                result.unified = CgroupPath.join(unified.mountPoint, below.joined(separator: "/"))
                continue
            }
            let controllers = fields[1].split(separator: ",").map(String.init)
            guard let hierarchy = controllers.lazy.compactMap(legacyHierarchy(for:)).first,
                  let below = CgroupPath.relative(path, to: hierarchy.root) else { continue }
            let directory = CgroupPath.join(hierarchy.mountPoint, below.joined(separator: "/"))
            for controller in hierarchy.controllers { result.legacy[controller] = directory }
        }
        return result
    }
}
