import CorralSystem
import ShimCgroups

#if canImport(Glibc)
import Glibc
#endif

/// A private cgroup tree, /corral-test-<random>, in the memory, cpu, cpuacct and pids
/// hierarchies and the unified one. Nothing outside it is ever written or removed.
final class TestCgroupTree {
    static let controllers: Set<String> = ["memory", "cpu", "cpuacct", "pids"]

    let layout: CgroupLayout
    let name = "/corral-test-\(getpid())-\(String(UInt32.random(in: 0...UInt32.max), radix: 16))"

    init() throws {
        layout = try CgroupLayout.current()
        try create("")
    }

    /// `relative` below the tree's root, as runc would resolve the cgroupsPath, limited to ours.
    func paths(_ relative: String = "") -> CgroupPaths {
        var paths = layout.paths(forCgroupsPath: name + relative)
        paths.legacy = paths.legacy.filter { Self.controllers.contains($0.key) }
        return paths
    }

    @discardableResult
    func create(_ relative: String) throws -> CgroupPaths {
        let paths = paths(relative)
        for directory in paths.allDirectories { try FileSystem.makeDirectories(directory, mode: 0o755) }
        return paths
    }

    func move(_ pid: pid_t, into paths: CgroupPaths) throws {
        for directory in paths.allDirectories {
            let procs = try FileDescriptor.open(directory + "/cgroup.procs", O_WRONLY)
            defer { procs.close() }
            try procs.writeAll("\(pid)")
        }
    }

    func write(_ value: String, to file: String, in paths: CgroupPaths, controller: String) throws {
        let fd = try FileDescriptor.open(paths.legacy[controller]! + "/" + file, O_WRONLY)
        defer { fd.close() }
        try fd.writeAll(value)
    }

    /// True when no directory of the tree is left in any hierarchy.
    var isGone: Bool {
        paths().allDirectories.allSatisfy { !FileSystem.exists($0) }
    }

    /// Last resort after a failed test: rmdir whatever is left, deepest first.
    func forceRemove() {
        for directory in paths().allDirectories { removeDeepestFirst(directory) }
    }

    private func removeDeepestFirst(_ directory: String) {
        for entry in (try? FileSystem.listDirectory(directory)) ?? [] {
            var info = stat()
            if lstat(directory + "/" + entry, &info) == 0 && (info.st_mode & S_IFMT) == S_IFDIR {
                removeDeepestFirst(directory + "/" + entry)
            }
        }
        for _ in 0..<100 where rmdir(directory) != 0 && errno == EBUSY { usleep(20_000) }
    }
}
