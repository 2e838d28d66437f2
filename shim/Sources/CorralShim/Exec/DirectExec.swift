import CorralJSON
import CorralSystem
import ShimCgroups

#if canImport(Glibc)
import Glibc
#endif

/// Execs started by the shim itself rather than by `runc exec`: the same process, in the same
/// namespaces and cgroups, with the same identity, capabilities, limits and seccomp filter, but
/// without a runtime binary to start and without moving a process into a cgroup by pid, which
/// on cgroup v1 waits out an RCU grace period (about 15 ms here) on every exec.
///
/// Anything this does not reproduce (a user namespace, AppArmor or SELinux labels, I/O priority,
/// scheduler or CPU affinity settings, seccomp notify, a filter the daemon did not compile) makes
/// `plan` answer nil, and the exec goes through the runtime as before.
struct DirectExec: Sendable {
    /// Facts of the container read once, at its first exec.
    struct Container: Sendable {
        var seccomp: (program: [UInt8], flags: UInt32)?
        /// Why execs in it go through the runtime, if they do.
        var unsupported: String?
        var cgroupTasks: [String] = []
        var cgroup2: String?
    }

    /// The file next to config.json where the daemon puts the container's seccomp filter,
    /// compiled to BPF: what runc would load, without a seccomp compiler in the shim.
    static let seccompProgramFile = "seccomp.bpf"

    static let lastCapability: Int32 = {
        (try? FileSystem.readText("/proc/sys/kernel/cap_last_cap")).flatMap { Int32($0.trimmingTrailingNewlines) } ?? 40
    }()

    /// Reads what every exec of the container shares: whether it has a user namespace, its
    /// spec's seccomp filter, and the cgroups its init is in, compared with the shim's own.
    static func container(bundle: String, initPID: Int32) -> Container {
        var facts = Container()
        guard let spec = try? JSONValue(parsing: FileSystem.readFile(bundle + "/config.json", limit: 16 << 20)) else {
            facts.unsupported = "its config.json cannot be read"
            return facts
        }
        if let theirs = inode("/proc/\(initPID)/ns/user"), theirs != inode("/proc/self/ns/user") {
            facts.unsupported = "it has a user namespace"
            return facts
        }
        let linux = spec["linux"]
        if linux?["personality"] != nil { facts.unsupported = "it sets a personality" }
        if let seccomp = linux?["seccomp"], !seccomp.isNull {
            var flags: UInt32 = 0
            for case let name? in (seccomp["flags"]?.array ?? []).map(\.string) {
                guard let flag = ProcessNames.seccompFlags[name] else {
                    facts.unsupported = "its seccomp flag \(name) is not one the shim knows"
                    return facts
                }
                flags |= flag
            }
            if let listener = seccomp["listenerPath"]?.string, !listener.isEmpty {
                facts.unsupported = "its seccomp filter notifies a listener"
                return facts
            }
            guard let program = try? FileSystem.readFile(bundle + "/" + seccompProgramFile, limit: 1 << 20),
                  !program.isEmpty, program.count % 8 == 0 else {
                facts.unsupported = "its bundle has no compiled seccomp filter"
                return facts
            }
            facts.seccomp = (program, flags)
        }
        do {
            let layout = try CgroupLayout.current()
            let container = try layout.paths(ofProcess: initPID)
            let own = try layout.paths(ofProcess: getpid())
            var seen: Set<String> = []
            for (controller, directory) in container.legacy.sorted(by: { $0.key < $1.key })
            where own.legacy[controller] != directory && seen.insert(directory).inserted {
                facts.cgroupTasks.append(directory + "/tasks")
            }
            if let unified = container.unified, unified != own.unified { facts.cgroup2 = unified }
        } catch {
            facts.unsupported = "its cgroups cannot be read: \(error)"
        }
        return facts
    }

    /// The plan for one exec, or nil (with the reason) when the runtime must run it. The plan's
    /// container descriptors are the caller's to close.
    static func plan(processSpec: [UInt8], container: Container, initPID: Int32, stdio: Spawn.Stdio,
                     terminal: FileDescriptor?) throws -> (plan: ContainerExec.Plan?, reason: String?) {
        if let reason = container.unsupported { return (nil, reason) }
        let process = try JSONValue(parsing: processSpec)
        for key in ["ioPriority", "scheduler", "execCPUAffinity"] where process[key] != nil {
            return (nil, "the process sets \(key)")
        }
        for key in ["apparmorProfile", "selinuxLabel"] where !(process[key]?.string ?? "").isEmpty {
            return (nil, "the process sets \(key)")
        }
        guard let arguments = process["args"]?.array?.compactMap(\.string), !arguments.isEmpty else {
            return (nil, "the process has no args")
        }
        var plan = ContainerExec.Plan()
        plan.arguments = arguments
        plan.environment = process["env"]?.array?.compactMap(\.string) ?? []
        plan.cwd = process["cwd"]?.string ?? "/"
        let user = process["user"]
        plan.uid = UInt32(clamping: user?["uid"]?.int64 ?? 0)
        plan.gid = UInt32(clamping: user?["gid"]?.int64 ?? 0)
        plan.groups = (user?["additionalGids"]?.array ?? []).compactMap(\.int64).map { UInt32(clamping: $0) }
        plan.umask = user?["umask"]?.int64.map { Int32(clamping: $0) }
        plan.noNewPrivileges = process["noNewPrivileges"]?.bool ?? false
        plan.oomScoreAdj = process["oomScoreAdj"]?.int64.map { Int32(clamping: $0) }
        for limit in process["rlimits"]?.array ?? [] {
            guard let type = limit["type"]?.string, let resource = ProcessNames.resourceLimits[type],
                  let soft = Self.limitValue(limit["soft"]), let hard = Self.limitValue(limit["hard"]) else {
                return (nil, "the process sets a resource limit the shim cannot read")
            }
            plan.resourceLimits.append(.init(resource: resource, soft: soft, hard: hard))
        }
        let last = lastCapability
        let capabilities = process["capabilities"]
        plan.lastCapability = last
        plan.capabilities.bounding = ProcessNames.mask(capabilities?["bounding"]?.array, last: last)
        plan.capabilities.effective = ProcessNames.mask(capabilities?["effective"]?.array, last: last)
        plan.capabilities.permitted = ProcessNames.mask(capabilities?["permitted"]?.array, last: last)
        plan.capabilities.inheritable = ProcessNames.mask(capabilities?["inheritable"]?.array, last: last)
        plan.capabilities.ambient = ProcessNames.mask(capabilities?["ambient"]?.array, last: last)
        plan.seccomp = container.seccomp
        plan.stdio = stdio
        if let terminal {
            let size = process["consoleSize"]
            plan.terminal = .init(socket: terminal, rows: UInt16(clamping: size?["height"]?.int64 ?? 0),
                                  columns: UInt16(clamping: size?["width"]?.int64 ?? 0))
        }
        do {
            for (name, flag) in ProcessNames.namespaces {
                let path = "/proc/\(initPID)/ns/\(name)"
                guard let theirs = inode(path) else {
                    if name == "time" || name == "cgroup" { continue }  // kernels without them
                    throw SystemError("stat", path)
                }
                if theirs == inode("/proc/self/ns/\(name)") { continue }
                plan.namespaces.append(.init(fd: try FileDescriptor.open(path, O_RDONLY | O_CLOEXEC), type: flag))
            }
            for path in container.cgroupTasks {
                plan.cgroupTasks.append(try FileDescriptor.open(path, O_WRONLY | O_CLOEXEC))
            }
            if let directory = container.cgroup2 {
                plan.cgroup2 = try FileDescriptor.open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
            }
        } catch {
            plan.containerDescriptors.forEach { $0.close() }
            throw error
        }
        return (plan, nil)
    }

    /// A limit as JSON carries it: RLIM_INFINITY (2^64 - 1) is beyond an Int64 and arrives as a
    /// double, which must not turn into 0.
    static func limitValue(_ value: JSONValue?) -> UInt64? {
        if let exact = value?.int64, exact >= 0 { return UInt64(exact) }
        if let number = value?.double, number >= 9.2e18 { return UInt64.max }
        return nil
    }

    private static func inode(_ path: String) -> UInt64? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        return UInt64(info.st_ino)
    }
}
