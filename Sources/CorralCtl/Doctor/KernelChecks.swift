import Foundation

/// The host's kernel and privileges: what corrald needs before it can make a single pod.
enum KernelChecks {
    static func root(uid: UInt32) -> DoctorCheck {
        uid == 0
            ? .ok("root", "running as root")
            : .fail("root", "running as uid \(uid): corrald needs root for namespaces, mounts and cgroups, and some checks here read root-only files",
                    fix: "run corrald and corralctl doctor as root (sudo)")
    }

    static let requiredNamespaces = ["net", "ipc", "uts", "pid", "mnt"]
    static let optionalNamespaces = ["user", "cgroup"]
    /// The kernel option each namespace comes with.
    static let namespaceOptions = ["net": "CONFIG_NET_NS", "ipc": "CONFIG_IPC_NS", "uts": "CONFIG_UTS_NS",
                                   "pid": "CONFIG_PID_NS", "mnt": "CONFIG_NAMESPACES", "user": "CONFIG_USER_NS",
                                   "cgroup": "CONFIG_CGROUPS (4.6 or later)"]

    /// `present`: the names under /proc/self/ns.
    static func namespaces(present: Set<String>) -> DoctorCheck {
        let missing = requiredNamespaces.filter { !present.contains($0) }
        let missingOptional = optionalNamespaces.filter { !present.contains($0) }
        let fix = { (names: [String]) in "boot a kernel built with " + names.map { namespaceOptions[$0]! }.joined(separator: ", ") }
        if !missing.isEmpty {
            return .fail("namespaces", "the kernel lacks \(missing.joined(separator: ", ")) namespaces: pods cannot be isolated",
                         fix: fix(missing))
        }
        if !missingOptional.isEmpty {
            return .warn("namespaces", "no \(missingOptional.joined(separator: ", ")) namespaces: pods asking for them (hostUsers: false, a private cgroup view) cannot run",
                         fix: fix(missingOptional))
        }
        return .ok("namespaces", (requiredNamespaces + optionalNamespaces).joined(separator: ", ") + " available")
    }

    /// `filesystems`: /proc/filesystems; `moduleAvailable`: an overlay module for the running kernel exists.
    static func overlay(filesystems: String, moduleAvailable: Bool) -> DoctorCheck {
        let registered = filesystems.split(separator: "\n").contains {
            $0.split(whereSeparator: { $0 == "\t" || $0 == " " }).last == "overlay"
        }
        if registered { return .ok("overlayfs", "overlay is in /proc/filesystems: image layers mount as overlays") }
        if moduleAvailable {
            return .warn("overlayfs", "overlay is not loaded but its module exists; the first mount loads it only where module autoloading works",
                         fix: "modprobe overlay && echo overlay > /etc/modules-load.d/corral.conf")
        }
        return .fail("overlayfs", "no overlay filesystem, loaded or loadable: container root filesystems are overlay mounts",
                     fix: "boot a kernel built with CONFIG_OVERLAY_FS (or install its modules package)")
    }

    /// `status`: /proc/self/status; `library`: libseccomp's version, nil when it did not load.
    static func seccomp(status: String, library: String?) -> DoctorCheck {
        guard let mode = ProcStatus.field("Seccomp", in: status) else {
            return .fail("seccomp", "the kernel has no seccomp (no Seccomp field in /proc/self/status): RuntimeDefault profiles cannot be applied",
                         fix: "boot a kernel built with CONFIG_SECCOMP and CONFIG_SECCOMP_FILTER")
        }
        guard let library else {
            return .fail("seccomp", "the kernel has seccomp, but libseccomp did not answer",
                         fix: "apt-get install libseccomp2")
        }
        let own = mode == "2" ? " (corralctl itself runs under a filter: inside a container?)" : ""
        return .ok("seccomp", "kernel seccomp filters available\(own); libseccomp \(library)")
    }
}

/// Fields of /proc/PID/status.
enum ProcStatus {
    static func field(_ name: String, in status: String) -> String? {
        for line in status.split(separator: "\n") where line.hasPrefix(name + ":") {
            return line.dropFirst(name.count + 1).trimmingCharacters(in: .whitespaces)
        }
        return nil
    }

    /// A capability set (CapBnd, CapEff…) as its bits.
    static func capabilities(_ name: String, in status: String) -> UInt64? {
        field(name, in: status).flatMap { UInt64($0, radix: 16) }
    }
}
