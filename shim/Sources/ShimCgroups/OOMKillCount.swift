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
