@testable import CorralCtl
import Testing

/// mountinfo as this machine writes it: v1 controllers each on their own, cgroup2 at unified.
let hybridMountinfo = """
    22 1 259:1 / / rw,relatime - ext4 /dev/root rw
    31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
    32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu
    33 31 0:30 / /sys/fs/cgroup/cpuacct rw,relatime - cgroup cgroup rw,cpuacct
    35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
    39 31 0:36 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids
    40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,name=systemd
    41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw
    """

/// A systemd distribution's v1 layout: co-mounted controllers, optional fields, a release agent.
let v1Mountinfo = """
    24 18 0:21 / /sys/fs/cgroup ro,nosuid shared:8 - tmpfs tmpfs ro,mode=755
    25 24 0:22 / /sys/fs/cgroup/systemd rw,nosuid shared:9 - cgroup cgroup rw,xattr,release_agent=/lib/systemd/systemd-cgroups-agent,name=systemd
    28 24 0:25 / /sys/fs/cgroup/cpu,cpuacct rw,nosuid shared:10 master:3 - cgroup cgroup rw,cpu,cpuacct
    29 24 0:26 / /sys/fs/cgroup/memory rw,nosuid shared:11 - cgroup cgroup rw,memory
    """

let v2Mountinfo = """
    22 1 259:1 / / rw,relatime - ext4 /dev/root rw
    30 23 0:26 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:4 - cgroup2 cgroup2 rw,nsdelegate,memory_recursiveprot
    """

/// /proc/self/status of a root process with and without CAP_SYS_RESOURCE (bit 24) bounded.
let statusWithoutSysResource = "Name:\tcat\nSeccomp:\t0\nSeccomp_filters:\t0\nCapEff:\t000001fffeffffff\nCapBnd:\t000001fffeffffff\n"
let statusWithSysResource = "Name:\tcat\nSeccomp:\t0\nCapBnd:\t000001ffffffffff\n"

@Suite("doctor's checks")
struct DoctorCheckTests {
    @Test func cgroupLayoutsFromMountinfo() throws {
        let hybrid = try #require(CgroupHost(mountinfo: hybridMountinfo))
        #expect(hybrid.mode == .hybrid)
        #expect(hybrid.unifiedMount == "/sys/fs/cgroup/unified")
        #expect(hybrid.v1Controllers == ["cpu", "cpuacct", "memory", "pids", "name=systemd"])

        let v1 = try #require(CgroupHost(mountinfo: v1Mountinfo))
        #expect(v1.mode == .v1)
        #expect(v1.v1Controllers == ["name=systemd", "cpu", "cpuacct", "memory"])
        #expect(v1.unifiedMount == nil)

        let v2 = try #require(CgroupHost(mountinfo: v2Mountinfo))
        #expect(v2 == CgroupHost(mode: .v2, unifiedMount: "/sys/fs/cgroup"))

        #expect(CgroupHost(mountinfo: "22 1 259:1 / / rw,relatime - ext4 /dev/root rw") == nil)
    }

    @Test func cgroupCheckNamesTheLayoutAndWhatRuns() throws {
        let hybrid = CgroupChecks.layout(CgroupHost(mountinfo: hybridMountinfo), unifiedControllers: ["hugetlb"])
        #expect(hybrid.status == .warn)
        #expect(hybrid.detail.contains("hybrid"))
        #expect(hybrid.detail.contains("runc works"))
        #expect(hybrid.detail.contains("crun refuses it (cgroup2 holds hugetlb)"))
        #expect(CgroupChecks.layout(CgroupHost(mountinfo: hybridMountinfo), unifiedControllers: []).detail
            .contains("crun works while cgroup2 holds no controllers"))
        #expect(CgroupChecks.layout(CgroupHost(mountinfo: v2Mountinfo), unifiedControllers: []).status == .ok)
        #expect(CgroupChecks.layout(CgroupHost(mountinfo: v1Mountinfo), unifiedControllers: []).status == .warn)
        #expect(CgroupChecks.layout(nil, unifiedControllers: []).status == .fail)
    }

    @Test func runtimeVersionsParse() {
        #expect(RuntimeProbe.version(from: "crun version 1.8.1\ncommit: f8a0\nrundir: /run/crun\n") == "1.8.1")
        #expect(RuntimeProbe.version(from: "runc version 1.1.5+ds1\ncommit: 1.1.5\nspec: 1.0.2-dev\n") == "1.1.5+ds1")
        #expect(RuntimeProbe.version(from: "something else") == nil)
    }

    @Test func crunIsRefusedOnAHybridLayoutWithControllers() {
        let hybrid = CgroupHost(mountinfo: hybridMountinfo)
        let crun = RuntimeProbe(handler: "crun", configuredPath: "crun", isDefault: false, resolvedPath: "/usr/bin/crun",
                                versionOutput: "crun version 1.8.1\ncommit: f8a0\n")
        let refused = RuntimeChecks.runtime(crun, cgroups: hybrid, unifiedControllers: ["hugetlb"])
        #expect(refused.status == .warn)
        #expect(refused.detail.contains("crun 1.8.1 at /usr/bin/crun refuses this hybrid layout"))
        #expect(refused.detail.contains("runc works"))
        #expect(!refused.fix.isEmpty)

        var defaultCrun = crun
        defaultCrun.isDefault = true
        #expect(RuntimeChecks.runtime(defaultCrun, cgroups: hybrid, unifiedControllers: ["hugetlb"]).status == .fail)
        #expect(RuntimeChecks.runtime(crun, cgroups: hybrid, unifiedControllers: []).status == .ok)
        #expect(RuntimeChecks.runtime(crun, cgroups: CgroupHost(mountinfo: v2Mountinfo), unifiedControllers: []).status == .ok)

        let runc = RuntimeProbe(handler: "runc", configuredPath: "runc", isDefault: true, resolvedPath: "/usr/sbin/runc",
                                versionOutput: "runc version 1.1.5+ds1\n")
        let ok = RuntimeChecks.runtime(runc, cgroups: hybrid, unifiedControllers: ["hugetlb"])
        #expect(ok.status == .ok)
        #expect(ok.detail == "runc 1.1.5+ds1 at /usr/sbin/runc (default) works on hybrid cgroups")
    }

    @Test func missingRuntimesFailOnlyWhenDefault() {
        let missing = RuntimeProbe(handler: "kata", configuredPath: "kata-runtime", isDefault: false)
        #expect(RuntimeChecks.runtime(missing, cgroups: nil, unifiedControllers: []).status == .warn)
        var missingDefault = missing
        missingDefault.isDefault = true
        let check = RuntimeChecks.runtime(missingDefault, cgroups: nil, unifiedControllers: [])
        #expect(check.status == .fail)
        #expect(check.detail.contains("kata-runtime is not installed"))
    }

    @Test func oomScoreAdjFollowsCapSysResource() {
        let restricted = NodeChecks.oomScoreAdj(status: statusWithoutSysResource, ownScore: "0", restrict: true)
        #expect(restricted.status == .warn)
        #expect(restricted.detail.contains("CAP_SYS_RESOURCE"))
        #expect(restricted.detail.contains("restrict_oom_score_adj"))
        #expect(restricted.detail.contains("corralctl runs at 0"))
        let unrestricted = NodeChecks.oomScoreAdj(status: statusWithoutSysResource, ownScore: "0", restrict: false)
        #expect(unrestricted.status == .fail)
        #expect(unrestricted.fix.contains("restrict_oom_score_adj = true"))
        #expect(NodeChecks.oomScoreAdj(status: statusWithSysResource, ownScore: "0", restrict: true).status == .ok)
        #expect(NodeChecks.oomScoreAdj(status: "Name:\tx\n", ownScore: nil, restrict: true).status == .warn)
        #expect(ProcStatus.capabilities("CapBnd", in: statusWithoutSysResource) == 0x1_fffe_ffffff)
    }

    @Test func seccompFromStatusAndLibrary() {
        #expect(KernelChecks.seccomp(status: statusWithoutSysResource, library: "2.5.4").status == .ok)
        #expect(KernelChecks.seccomp(status: statusWithoutSysResource, library: "2.5.4").detail.contains("2.5.4"))
        #expect(KernelChecks.seccomp(status: "Seccomp:\t2\n", library: "2.5.4").detail.contains("inside a container"))
        #expect(KernelChecks.seccomp(status: "Name:\tx\n", library: "2.5.4").status == .fail)
        #expect(KernelChecks.seccomp(status: statusWithoutSysResource, library: nil).status == .fail)
    }

    @Test func overlayRegisteredLoadableOrMissing() {
        let registered = "nodev\tsysfs\nnodev\ttmpfs\n\text4\nnodev\toverlay\n"
        #expect(KernelChecks.overlay(filesystems: registered, moduleAvailable: false).status == .ok)
        #expect(KernelChecks.overlay(filesystems: "nodev\tsysfs\n\text4\n", moduleAvailable: true).status == .warn)
        #expect(KernelChecks.overlay(filesystems: "nodev\tsysfs\n\text4\n", moduleAvailable: false).status == .fail)
    }

    @Test func namespacesRequiredAndOptional() {
        let all: Set = ["net", "ipc", "uts", "pid", "mnt", "user", "cgroup", "time", "pid_for_children"]
        #expect(KernelChecks.namespaces(present: all).status == .ok)
        #expect(KernelChecks.namespaces(present: all.subtracting(["user"])).status == .warn)
        let noNet = KernelChecks.namespaces(present: all.subtracting(["net"]))
        #expect(noNet.status == .fail)
        #expect(noNet.fix.contains("CONFIG_NET_NS"))
    }

    @Test func rootAndForwarding() {
        #expect(KernelChecks.root(uid: 0).status == .ok)
        #expect(KernelChecks.root(uid: 1000).status == .fail)
        #expect(NodeChecks.ipForward("1\n").status == .ok)
        #expect(NodeChecks.ipForward("0\n").status == .warn)
        #expect(NodeChecks.ipForward("0\n").fix.contains("net.ipv4.ip_forward=1"))
        #expect(NodeChecks.ipForward(nil).status == .warn)
    }

    @Test func cniConfigAndPlugins() {
        let conflist = #"{"cniVersion":"1.0.0","name":"net1","plugins":[{"type":"bridge"},{"type":"portmap"}]}"#
        let executables: [String: Set<String>] = ["/opt/cni/bin": [], "/usr/lib/cni": ["bridge", "portmap", "host-local"]]
        let host = CNIHost(confDir: "/etc/cni/net.d", firstConfig: ("10-net.conflist", conflist),
                           binDirs: ["/opt/cni/bin", "/usr/lib/cni"], executables: executables)
        let ok = CNIChecks.network(host)
        #expect(ok.status == .ok)
        #expect(ok.detail == "/etc/cni/net.d/10-net.conflist (network net1): plugins bridge, portmap found in /usr/lib/cni")

        var missingPlugin = host
        missingPlugin.executables["/usr/lib/cni"] = ["bridge"]
        let missing = CNIChecks.network(missingPlugin)
        #expect(missing.status == .fail)
        #expect(missing.detail.hasSuffix(": portmap"))

        var single = host
        single.firstConfig = ("99-loop.conf", #"{"cniVersion":"0.4.0","name":"lo","type":"loopback"}"#)
        single.executables["/opt/cni/bin"] = ["loopback"]
        #expect(CNIChecks.network(single).detail.contains("loopback found in /opt/cni/bin"))

        var none = host
        none.firstConfig = nil
        #expect(CNIChecks.network(none).status == .warn)

        var broken = host
        broken.firstConfig = ("10-bad.conflist", "{not json")
        #expect(CNIChecks.network(broken).status == .fail)
        #expect(CNIHost.isConfigName("10-a.conflist") && CNIHost.isConfigName("a.conf") && !CNIHost.isConfigName("a.conf.bak"))
    }

    @Test func corraldSocket() {
        let absent = DaemonChecks.socket(.init(path: "/run/corral/corral.sock", exists: false, isSocket: false, mode: 0))
        #expect(absent.status == .fail)
        #expect(absent.detail.hasPrefix("corrald is not running"))
        #expect(absent.fix == "start it with scripts/run.sh or systemctl start corrald")
        let stale = DaemonChecks.socket(.init(path: "/s", exists: true, isSocket: true, mode: 0o660, error: "connection refused"))
        #expect(stale.status == .fail)
        #expect(stale.detail.contains("connection refused"))
        let open = DaemonChecks.socket(.init(path: "/s", exists: true, isSocket: true, mode: 0o777, answer: "corral 0.1.0"))
        #expect(open.status == .warn)
        #expect(open.detail.contains("0777"))
        #expect(DaemonChecks.socket(.init(path: "/s", exists: true, isSocket: true, mode: 0o660, answer: "corral 0.1.0")).status == .ok)
        #expect(DaemonChecks.socket(.init(path: "/s", exists: true, isSocket: false, mode: 0o644)).status == .fail)
    }

    @Test func reportExitsOneOnAnyFailure() throws {
        let checks = [DoctorCheck.ok("a", "fine"), .warn("b", "hmm", fix: "do b")]
        #expect(DoctorReport.exitCode(checks) == 0)
        #expect(DoctorReport.exitCode(checks + [.fail("c", "broken", fix: "do c")]) == 1)
        let table = DoctorReport.table(checks + [.fail("c", "broken", fix: "do c")])
        #expect(table == """
            [OK  ] a  fine
            [WARN] b  hmm
                      fix: do b
            [FAIL] c  broken
                      fix: do c

            3 checks: 1 ok, 1 warning, 1 failure
            """)
        let json = try DoctorReport.json(checks)
        #expect(json.contains(#""ok" : true"#))
        #expect(json.contains(#""status" : "WARN""#))
    }
}

@Suite struct CgroupDriverCheckTests {
    @Test func theDriverMustMatchTheInitSystem() {
        #expect(CgroupChecks.driver(.systemd, systemdBooted: true).status == .ok)
        let refused = CgroupChecks.driver(.systemd, systemdBooted: false)
        #expect(refused.status == .fail && refused.fix.contains("cgroupfs"))
        #expect(CgroupChecks.driver(.cgroupfs, systemdBooted: true).status == .warn)
        #expect(CgroupChecks.driver(.cgroupfs, systemdBooted: false).status == .ok)
    }
}
