/// One configured OCI runtime as found on this host.
struct RuntimeProbe: Equatable, Sendable {
    var handler: String
    /// As configured: a name looked up on PATH, or a path.
    var configuredPath: String
    var isDefault: Bool
    /// The executable found, nil when there is none.
    var resolvedPath: String?
    /// What `RUNTIME --version` printed (stdout), nil when it could not run or failed.
    var versionOutput: String?

    /// "1.8.1" out of "crun version 1.8.1\ncommit: …" (runc: "runc version 1.1.5+ds1").
    static func version(from output: String) -> String? {
        guard let first = output.split(separator: "\n").first,
              let range = first.range(of: "version ") else { return nil }
        let version = first[range.upperBound...].split(separator: " ").first.map(String.init)
        return version?.isEmpty == false ? version : nil
    }

    /// Which program it is, by its own first word (a handler may name crun under another name).
    var program: String {
        versionOutput?.split(separator: "\n").first?.split(separator: " ").first.map(String.init) ?? handler
    }
}

enum RuntimeChecks {
    static func runtime(_ probe: RuntimeProbe, cgroups: CgroupHost?, unifiedControllers: [String]) -> DoctorCheck {
        let name = "runtime \(probe.handler)"
        let pods = probe.isDefault ? "pods without a runtime class (\(probe.handler) is the default)"
            : "pods with runtime handler \(probe.handler)"
        let broken = { (detail: String, fix: String) -> DoctorCheck in
            probe.isDefault ? .fail(name, detail, fix: fix) : .warn(name, detail, fix: fix)
        }
        guard let path = probe.resolvedPath else {
            return broken("\(probe.configuredPath) is not installed: \(pods) cannot run",
                          "apt-get install \(probe.program), or set runtimes.\(probe.handler).path (or remove it from the config)")
        }
        guard let output = probe.versionOutput else {
            return broken("\(path) --version failed: \(pods) cannot run", "reinstall \(probe.program)")
        }
        let version = RuntimeProbe.version(from: output) ?? "(version unknown)"
        let described = "\(probe.program) \(version) at \(path)"
        // crun checks this itself before creating any container, and stops there.
        if probe.program == "crun", cgroups?.mode == .hybrid, !unifiedControllers.isEmpty {
            return broken("\(described) refuses this hybrid layout (\"cgroups in hybrid mode not supported, drop all controllers from cgroupv2\"; cgroup2 holds \(unifiedControllers.joined(separator: ", "))): \(pods) cannot run here; runc works",
                          "use runc for these pods; or mount \(unifiedControllers.joined(separator: ", ")) as \(unifiedControllers.count == 1 ? "a v1 hierarchy" : "v1 hierarchies") (mount -t cgroup -o \(unifiedControllers[0]) cgroup /sys/fs/cgroup/\(unifiedControllers[0])) so cgroup2 holds none; or boot with cgroup v2 (systemd.unified_cgroup_hierarchy=1)")
        }
        return .ok(name, "\(described)\(probe.isDefault ? " (default)" : "") works on \(cgroups?.mode.rawValue ?? "this") cgroups")
    }
}
