import CorralConfig

/// How cgroups are mounted, and what that means for corrald and each OCI runtime.
struct CgroupHost: Equatable, Sendable {
    enum Mode: String, Sendable {
        case v1
        /// v1 controllers plus a cgroup2 mount (usually /sys/fs/cgroup/unified).
        case hybrid
        /// One cgroup2 hierarchy at /sys/fs/cgroup.
        case v2
    }

    var mode: Mode
    /// The controllers of the v1 hierarchies ("name=systemd" included).
    var v1Controllers: [String] = []
    /// Where cgroup2 is mounted, if it is.
    var unifiedMount: String?

    static let knownControllers: Set<String> = [
        "cpu", "cpuacct", "cpuset", "memory", "devices", "freezer", "net_cls", "net_prio", "blkio",
        "perf_event", "hugetlb", "pids", "rdma", "misc",
    ]

    /// The layout from /proc/self/mountinfo: nil when no cgroup filesystem is mounted at all.
    init?(mountinfo: String) {
        var controllers: [String] = []
        var unified: String?
        var sawV1 = false
        for line in mountinfo.split(separator: "\n") {
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            guard fields.count > 4, let dash = fields.firstIndex(of: "-"), dash + 1 < fields.count else { continue }
            let mountPoint = String(fields[4])
            switch fields[dash + 1] {
            case "cgroup2":
                // The first cgroup2 mount under /sys/fs/cgroup wins over bind mounts elsewhere.
                if unified == nil || mountPoint.hasPrefix("/sys/fs/cgroup") && !(unified!.hasPrefix("/sys/fs/cgroup")) {
                    unified = mountPoint
                }
            case "cgroup":
                sawV1 = true
                let options = dash + 3 < fields.count ? fields[dash + 3].split(separator: ",") : []
                for option in options.map(String.init)
                    where (Self.knownControllers.contains(option) || option.hasPrefix("name=")) && !controllers.contains(option) {
                    controllers.append(option)
                }
            default:
                continue
            }
        }
        if unified == "/sys/fs/cgroup" {
            self.init(mode: .v2, unifiedMount: unified)
        } else if sawV1 {
            self.init(mode: unified == nil ? .v1 : .hybrid, v1Controllers: controllers, unifiedMount: unified)
        } else if let unified {
            self.init(mode: .v2, unifiedMount: unified)
        } else {
            return nil
        }
    }

    init(mode: Mode, v1Controllers: [String] = [], unifiedMount: String? = nil) {
        self.mode = mode
        self.v1Controllers = v1Controllers
        self.unifiedMount = unifiedMount
    }
}

enum CgroupChecks {
    /// `unifiedControllers`: the cgroup2 root's cgroup.controllers in hybrid mode (crun refuses any).
    static func layout(_ host: CgroupHost?, unifiedControllers: [String]) -> DoctorCheck {
        guard let host else {
            return .fail("cgroups", "no cgroup filesystem is mounted: no container can be limited or accounted",
                         fix: "mount cgroup2 at /sys/fs/cgroup (mount -t cgroup2 none /sys/fs/cgroup) or boot with systemd")
        }
        let v2Fix = "boot with cgroup v2 (systemd.unified_cgroup_hierarchy=1 on the kernel command line)"
        switch host.mode {
        case .v2:
            return .ok("cgroups", "cgroup v2 (unified) at /sys/fs/cgroup: runc and crun both work")
        case .v1:
            return .warn("cgroups", "cgroup v1 (\(host.v1Controllers.joined(separator: ", "))): runc and crun work; recent kubelets refuse v1 unless failCgroupV1 is false",
                         fix: v2Fix)
        case .hybrid:
            let crun = unifiedControllers.isEmpty
                ? "crun works while cgroup2 holds no controllers"
                : "crun refuses it (cgroup2 holds \(unifiedControllers.joined(separator: ", ")))"
            return .warn("cgroups", "hybrid: cgroup v1 controllers with cgroup2 at \(host.unifiedMount ?? "?"): runc works, \(crun); recent kubelets refuse v1 unless failCgroupV1 is false",
                         fix: v2Fix)
        }
    }

    /// The configured cgroup driver against the host's init system: kubelet's cgroupDriver must
    /// name the same one, and systemd's needs systemd.
    static func driver(_ driver: DaemonConfig.CgroupDriver, systemdBooted: Bool) -> DoctorCheck {
        switch (driver, systemdBooted) {
        case (.systemd, true):
            return .ok("cgroup driver", "systemd: pods in slices, containers and shims in scopes systemd knows")
        case (.systemd, false):
            return .fail("cgroup driver", "cgroup_driver = \"systemd\", but systemd is not the init system here (no /run/systemd/system): corrald refuses to start",
                         fix: "set cgroup_driver = \"cgroupfs\" in the config, and kubelet's cgroupDriver: cgroupfs")
        case (.cgroupfs, true):
            return .warn("cgroup driver", "cgroupfs on a host systemd runs: two managers of one cgroup tree; kubeadm configures kubelet with the systemd driver",
                         fix: "set cgroup_driver = \"systemd\" in the config, and kubelet's cgroupDriver: systemd")
        case (.cgroupfs, false):
            return .ok("cgroup driver", "cgroupfs (systemd is not the init system)")
        }
    }
}
