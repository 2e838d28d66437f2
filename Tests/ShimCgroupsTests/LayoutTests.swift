import CorralSystem
import ShimCgroups
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// mountinfo as this machine writes it: v1 controllers each on their own, cgroup2 at unified.
let hybridMountInfo = """
    31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
    32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu
    33 31 0:30 / /sys/fs/cgroup/cpuacct rw,relatime - cgroup cgroup rw,cpuacct
    35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
    39 31 0:36 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids
    40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,xattr,name=systemd
    41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw
    """

/// A systemd distribution's v1 layout: co-mounted controllers, optional fields, a release agent.
let comountedMountInfo = """
    25 24 0:22 / /sys/fs/cgroup/systemd rw,nosuid shared:9 - cgroup cgroup rw,xattr,release_agent=/lib/systemd/systemd-cgroups-agent,name=systemd
    28 24 0:25 / /sys/fs/cgroup/cpu,cpuacct rw,nosuid shared:10 master:3 - cgroup cgroup rw,cpu,cpuacct
    29 24 0:26 / /sys/fs/cgroup/memory rw,nosuid shared:11 - cgroup cgroup rw,memory
    90 80 0:26 / /var/lib/other/memory rw - cgroup cgroup rw,memory
    """

let unifiedMountInfo = """
    22 1 259:1 / / rw,relatime - ext4 /dev/root rw
    30 23 0:26 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:4 - cgroup2 cgroup2 rw,nsdelegate,memory_recursiveprot
    """

@Suite("cgroup layout and paths")
struct LayoutTests {
    @Test func hybridLayoutKeepsEveryHierarchy() throws {
        let layout = CgroupLayout(mountInfo: hybridMountInfo)
        #expect(layout.mode == .hybrid)
        #expect(layout.legacy.map(\.controllers) == [["cpu"], ["cpuacct"], ["memory"], ["pids"], ["name=systemd"]])
        #expect(layout.legacyHierarchy(for: "memory")?.mountPoint == "/sys/fs/cgroup/memory")
        #expect(layout.unified == .init(controllers: [], mountPoint: "/sys/fs/cgroup/unified"))
    }

    @Test func comountedControllersShareOneHierarchyAndTheFirstMountWins() {
        let layout = CgroupLayout(mountInfo: comountedMountInfo)
        #expect(layout.mode == .v1)
        #expect(layout.legacy.count == 3)
        #expect(layout.legacyHierarchy(for: "cpuacct")?.mountPoint == "/sys/fs/cgroup/cpu,cpuacct")
        #expect(layout.legacyHierarchy(for: "cpu")?.controllers == ["cpu", "cpuacct"])
        #expect(layout.legacyHierarchy(for: "memory")?.mountPoint == "/sys/fs/cgroup/memory")
        #expect(layout.legacyHierarchy(for: "name=systemd") != nil)

        let paths = layout.paths(forCgroupsPath: "/corral/pod-x/ctr-y")
        #expect(paths.legacy["cpu"] == "/sys/fs/cgroup/cpu,cpuacct/corral/pod-x/ctr-y")
        #expect(paths.legacy["cpuacct"] == paths.legacy["cpu"])
        #expect(paths.allDirectories.count == 3)
    }

    @Test func unifiedLayoutHasOneDirectoryForEveryController() {
        let layout = CgroupLayout(mountInfo: unifiedMountInfo)
        #expect(layout.mode == .v2)
        let paths = layout.paths(forCgroupsPath: "/corral/pod-x/ctr-y")
        #expect(paths.legacy.isEmpty)
        #expect(paths.unified == "/sys/fs/cgroup/corral/pod-x/ctr-y")
        #expect(paths.directory(for: "memory")?.path == "/sys/fs/cgroup/corral/pod-x/ctr-y")
        #expect(paths.directory(for: "memory")?.version == .v2)
        #expect(paths.allDirectories == ["/sys/fs/cgroup/corral/pod-x/ctr-y"])
    }

    @Test func ociPathsResolveInEveryHierarchyAsRuncDoes() {
        let layout = CgroupLayout(mountInfo: hybridMountInfo)
        let paths = layout.paths(forCgroupsPath: "/corral/pod-x/ctr-y")
        #expect(paths.legacy == [
            "cpu": "/sys/fs/cgroup/cpu/corral/pod-x/ctr-y",
            "cpuacct": "/sys/fs/cgroup/cpuacct/corral/pod-x/ctr-y",
            "memory": "/sys/fs/cgroup/memory/corral/pod-x/ctr-y",
            "pids": "/sys/fs/cgroup/pids/corral/pod-x/ctr-y",
            "name=systemd": "/sys/fs/cgroup/systemd/corral/pod-x/ctr-y",
        ])
        #expect(paths.unified == "/sys/fs/cgroup/unified/corral/pod-x/ctr-y")
        #expect(paths.directory(for: "memory")?.version == .v1)
        #expect(paths.allDirectories.count == 6)
    }

    @Test func dotsInCgroupsPathsCannotClimbOutOfTheHierarchy() {
        let layout = CgroupLayout(mountInfo: hybridMountInfo)
        let paths = layout.paths(forCgroupsPath: "/../../etc/./x//y/..")
        #expect(paths.legacy["memory"] == "/sys/fs/cgroup/memory/etc/x")
        #expect(layout.paths(forCgroupsPath: "/").legacy["memory"] == "/sys/fs/cgroup/memory")
    }

    @Test func relativeCgroupsPathsHangOffTheOwnCgroup() {
        let layout = CgroupLayout(mountInfo: hybridMountInfo)
        let own = CgroupPaths(legacy: ["memory": "/sys/fs/cgroup/memory/process_api/abc"],
                              unified: "/sys/fs/cgroup/unified")
        let paths = layout.paths(forCgroupsPath: "corral/ctr", own: own)
        #expect(paths.legacy == ["memory": "/sys/fs/cgroup/memory/process_api/abc/corral/ctr"])
        #expect(paths.unified == "/sys/fs/cgroup/unified/corral/ctr")
    }

    @Test func procCgroupResolvesEachControllerThroughItsMount() {
        let layout = CgroupLayout(mountInfo: hybridMountInfo)
        let paths = layout.paths(procCgroup: """
            9:name=systemd:/
            8:pids:/corral/p
            4:memory:/process_api/61b3
            2:cpuacct:/
            1:cpu:/
            6:freezer:/not-mounted
            0::/corral/p
            """)
        #expect(paths.legacy == [
            "name=systemd": "/sys/fs/cgroup/systemd",
            "pids": "/sys/fs/cgroup/pids/corral/p",
            "memory": "/sys/fs/cgroup/memory/process_api/61b3",
            "cpuacct": "/sys/fs/cgroup/cpuacct",
            "cpu": "/sys/fs/cgroup/cpu",
        ])
        #expect(paths.unified == "/sys/fs/cgroup/unified/corral/p")
    }

    @Test func procCgroupUnderABindMountedSubtreeDropsTheMountRoot() {
        let layout = CgroupLayout(mountInfo: """
            50 40 0:32 /docker/abc /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory
            51 40 0:38 /docker/abc /sys/fs/cgroup/with\\040space rw - cgroup2 cgroup2 rw
            """)
        #expect(layout.unified?.mountPoint == "/sys/fs/cgroup/with space")
        let paths = layout.paths(procCgroup: "4:memory:/docker/abc/ctr\n0::/docker/abc\n")
        #expect(paths.legacy["memory"] == "/sys/fs/cgroup/memory/ctr")
        #expect(paths.unified == "/sys/fs/cgroup/with space")
        // A cgroup outside what is mounted here has no directory here.
        #expect(layout.paths(procCgroup: "4:memory:/elsewhere\n").legacy.isEmpty)
    }

    /// mountinfo against runc's documented test: cgroup.controllers exists only on cgroup2.
    @Test func detectedModeAgreesWithWhereCgroup2IsMounted() throws {
        let expected: CgroupLayout.Mode =
            FileSystem.exists("/sys/fs/cgroup/cgroup.controllers") ? .v2
            : FileSystem.exists("/sys/fs/cgroup/unified/cgroup.controllers") ? .hybrid : .v1
        #expect(try CgroupLayout.current().mode == expected)
    }

    @Test func ownCgroupResolvesToDirectoriesListingThisProcess() throws {
        let layout = try CgroupLayout.current()
        let paths = try layout.paths(ofProcess: getpid())
        let memory = try #require(paths.directory(for: "memory")).path
        let procs = try FileSystem.readText(memory + "/cgroup.procs").split(separator: "\n")
        #expect(procs.contains(Substring("\(getpid())")))
        #expect(paths.allDirectories.allSatisfy(FileSystem.exists))
    }
}

extension LayoutTests {
    /// runc creates a container's cgroup in every hierarchy it finds in /proc/self/cgroup
    /// (name=systemd and, in hybrid mode, unified included), so cleanup must know them all.
    @Test func everyHierarchyThisProcessIsInIsMounted() throws {
        let layout = try CgroupLayout.current()
        let own = try FileSystem.readText("/proc/self/cgroup").split(separator: "\n")
        let paths = layout.paths(forCgroupsPath: "/corral/ctr")
        for line in own {
            let controllers = line.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false)[1]
            if controllers.isEmpty {
                #expect(paths.unified != nil)
            } else {
                for controller in controllers.split(separator: ",") {
                    #expect(paths.legacy[String(controller)] != nil, "\(controller)")
                }
            }
        }
    }
}

@Suite struct SystemdSliceTests {
    @Test func kubeletsSliceNamesNestByTheirDashes() {
        #expect(SystemdSlice.path(of: "kubepods-besteffort-pod12_34.slice") == "/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod12_34.slice")
        #expect(SystemdSlice.path(of: "system.slice") == "/system.slice")
        #expect(SystemdSlice.path(of: "-.slice") == "/")
    }

    @Test func pathsAndMalformedNamesAreNotSlices() {
        #expect(SystemdSlice.path(of: "/kubepods/pod1") == nil)
        #expect(SystemdSlice.path(of: "/kubepods.slice") == nil)
        #expect(SystemdSlice.path(of: "a--b.slice") == nil)
        #expect(SystemdSlice.path(of: "-a.slice") == nil)
    }
}

@Suite struct StableAncestorTests {
    @Test func aScopesCountOutlivesItInItsSlice() {
        let scope = CgroupPaths(unified: "/sys/fs/cgroup/kubepods.slice/kubepods-pod1.slice/corral-abc.scope")
        #expect(scope.stableAncestor()?.unified == "/sys/fs/cgroup/kubepods.slice/kubepods-pod1.slice")
        let crun = CgroupPaths(unified: "/sys/fs/cgroup/kubepods.slice/kubepods-pod1.slice/corral-abc.scope/container")
        #expect(crun.stableAncestor()?.unified == "/sys/fs/cgroup/kubepods.slice/kubepods-pod1.slice")
    }

    @Test func aPathsCountOutlivesItInItsParent() {
        let plain = CgroupPaths(legacy: ["memory": "/sys/fs/cgroup/memory/kubepods/pod1/abc"], unified: "/sys/fs/cgroup/unified/kubepods/pod1/abc")
        #expect(plain.stableAncestor()?.legacy["memory"] == "/sys/fs/cgroup/memory/kubepods/pod1")
        #expect(plain.stableAncestor()?.unified == "/sys/fs/cgroup/unified/kubepods/pod1")
    }
}
