import CorralSystem

extension CgroupPaths {
    /// How many processes the OOM killer has killed in this cgroup (and, on v2, below it).
    /// Comparing it before and after a container exits tells an OOM kill from any other SIGKILL,
    /// as containerd does. Zero when the kernel does not count (v1 before Linux 4.13).
    public func oomKillCount() -> UInt64 {
        guard let (directory, version) = directory(for: "memory") else { return 0 }
        return OOMKillCount.read(directory, version)
    }
}

enum OOMKillCount {
    static func read(_ memoryDirectory: String, _ version: CgroupVersion) -> UInt64 {
        let file = version == .v1 ? "/memory.oom_control" : "/memory.events"
        return CgroupFiles.keyed(memoryDirectory + file)["oom_kill"] ?? 0
    }
}

extension CgroupPaths {
    /// Whether the cgroup's memory directory is still there.
    public var exists: Bool {
        guard let (directory, _) = directory(for: "memory") else { return false }
        return FileSystem.exists(directory)
    }

    /// The nearest enclosing cgroup that outlives a container: the first slice above a systemd
    /// scope (`…/pod.slice/corral-ID.scope[/container]`), else the parent.
    public func stableAncestor() -> CgroupPaths? {
        func up(_ directory: String) -> String {
            var parent = CgroupPath.components(directory).dropLast()
            if directory.split(separator: "/").contains(where: { $0.hasSuffix(".scope") }) {
                while let last = parent.last, !last.hasSuffix(".slice") { parent = parent.dropLast() }
            }
            return "/" + parent.joined(separator: "/")
        }
        guard directory(for: "memory") != nil else { return nil }
        return CgroupPaths(legacy: legacy.mapValues(up), unified: unified.map(up))
    }
}
