#if canImport(Glibc)
import Glibc
#endif
import CCorral

/// Starting a process inside a running container from outside it, as `runc exec` does, with
/// everything it needs opened and resolved beforehand (see ccorral_exec.h).
public enum ContainerExec {
    public struct Namespace: Sendable {
        public var fd: FileDescriptor
        /// A CLONE_NEW* flag.
        public var type: Int32
        public init(fd: FileDescriptor, type: Int32) {
            self.fd = fd
            self.type = type
        }
    }

    public struct ResourceLimit: Sendable, Equatable {
        public var resource: Int32
        public var soft: UInt64
        public var hard: UInt64
        public init(resource: Int32, soft: UInt64, hard: UInt64) {
            self.resource = resource
            self.soft = soft
            self.hard = hard
        }
    }

    /// Capability sets as bit masks (bit N: capability N).
    public struct Capabilities: Sendable, Equatable {
        public var bounding: UInt64 = 0
        public var effective: UInt64 = 0
        public var permitted: UInt64 = 0
        public var inheritable: UInt64 = 0
        public var ambient: UInt64 = 0
        public init() {}
    }

    public struct Terminal: Sendable {
        /// Where the pty's master goes (SCM_RIGHTS).
        public var socket: FileDescriptor
        public var rows: UInt16
        public var columns: UInt16
        public init(socket: FileDescriptor, rows: UInt16, columns: UInt16) {
            self.socket = socket
            self.rows = rows
            self.columns = columns
        }
    }

    public struct Plan: Sendable {
        public var stdio = Spawn.Stdio()
        public var cgroupTasks: [FileDescriptor] = []
        public var cgroup2: FileDescriptor?
        public var oomScoreAdj: Int32?
        public var namespaces: [Namespace] = []
        public var terminal: Terminal?
        public var resourceLimits: [ResourceLimit] = []
        public var noNewPrivileges = false
        /// A BPF program (8-byte sock_filter instructions) and seccomp(2) flags.
        public var seccomp: (program: [UInt8], flags: UInt32)?
        public var capabilities = Capabilities()
        public var lastCapability: Int32 = 40
        public var uid: UInt32 = 0
        public var gid: UInt32 = 0
        public var groups: [UInt32] = []
        public var umask: Int32?
        public var cwd = "/"
        public var arguments: [String] = []
        public var environment: [String] = []
        public var timeout: Duration = .seconds(10)
        public init() {}

        /// The descriptors of the container's cgroups and namespaces.
        public var containerDescriptors: [FileDescriptor] {
            cgroupTasks + (cgroup2.map { [$0] } ?? []) + namespaces.map(\.fd)
        }
    }

    /// Where starting the process failed, with the errno of that step.
    public struct Failure: Error, Sendable, CustomStringConvertible {
        public enum Stage: Int32, Sendable {
            case fork = 1, stdio, oomScoreAdj, cgroup, namespace, setsid, terminal, resourceLimit, noNewPrivileges,
                 seccomp, capabilityBounding, user, cwd, capabilities, lookup, execve, timeout, descriptors,
                 cwdOutsideRoot
        }

        public let stage: Stage
        public let errno: Int32
        /// What the messages name: the program, the working directory, the time allowed.
        let program: String
        let cwd: String
        let timeout: Duration

        /// In the words runc uses for the same failures, which is what kubelet users search for.
        public var description: String {
            let reason = String(cString: strerror(errno))
            switch stage {
            case .lookup: return "exec: \"\(program)\": executable file not found in $PATH"
            case .execve: return "exec \(program): \(reason)"
            case .cwd: return "chdir to cwd (\"\(cwd)\") set in config.json failed: \(reason)"
            case .timeout: return "the process did not start within \(timeout)"
            case .cwdOutsideRoot:
                return "current working directory is outside of container mount namespace root -- possible container breakout detected"
            default: return "\(stage): \(reason)"
            }
        }
    }

    /// Blocks until the process has exec'd (or failed to). Neither the helper nor the process is
    /// waited for here: both are the caller's reaper's.
    public static func start(_ plan: Plan) -> (helper: pid_t, result: Result<pid_t, Failure>) {
        var buffers = Buffers()
        defer { buffers.release() }
        let program = plan.seccomp.map { buffers.copy($0.program) }
        var c = ccorral_exec_plan()
        c.stdio = (plan.stdio.stdin?.rawValue ?? -1, plan.stdio.stdout?.rawValue ?? -1, plan.stdio.stderr?.rawValue ?? -1)
        c.cgroup_tasks_fds = UnsafePointer(buffers.copy(plan.cgroupTasks.map(\.rawValue)))
        c.cgroup_tasks_count = Int32(plan.cgroupTasks.count)
        c.cgroup2_fd = plan.cgroup2?.rawValue ?? -1
        c.set_oom_score_adj = plan.oomScoreAdj == nil ? 0 : 1
        c.oom_score_adj = plan.oomScoreAdj ?? 0
        c.namespace_fds = UnsafePointer(buffers.copy(plan.namespaces.map(\.fd.rawValue)))
        c.namespace_types = UnsafePointer(buffers.copy(plan.namespaces.map(\.type)))
        c.namespace_count = Int32(plan.namespaces.count)
        c.terminal = plan.terminal == nil ? 0 : 1
        c.terminal_socket = plan.terminal?.socket.rawValue ?? -1
        c.terminal_rows = plan.terminal?.rows ?? 0
        c.terminal_columns = plan.terminal?.columns ?? 0
        c.rlimit_resources = UnsafePointer(buffers.copy(plan.resourceLimits.map(\.resource)))
        c.rlimit_soft = UnsafePointer(buffers.copy(plan.resourceLimits.map(\.soft)))
        c.rlimit_hard = UnsafePointer(buffers.copy(plan.resourceLimits.map(\.hard)))
        c.rlimit_count = Int32(plan.resourceLimits.count)
        c.no_new_privileges = plan.noNewPrivileges ? 1 : 0
        c.seccomp_program = program.map { UnsafeRawPointer($0) }
        c.seccomp_instructions = (plan.seccomp?.program.count ?? 0) / 8
        c.seccomp_flags = plan.seccomp?.flags ?? 0
        c.capability_last = plan.lastCapability
        c.capability_bounding = plan.capabilities.bounding
        c.capability_effective = plan.capabilities.effective
        c.capability_permitted = plan.capabilities.permitted
        c.capability_inheritable = plan.capabilities.inheritable
        c.capability_ambient = plan.capabilities.ambient
        c.uid = plan.uid
        c.gid = plan.gid
        c.groups = UnsafePointer(buffers.copy(plan.groups))
        c.group_count = Int32(plan.groups.count)
        c.umask = plan.umask ?? -1
        c.cwd = UnsafePointer(buffers.string(plan.cwd))
        c.argv = UnsafePointer(buffers.strings(plan.arguments, spare: 0))
        c.envp = buffers.strings(plan.environment, spare: 1)
        c.timeout_ms = Int32(clamping: plan.timeout.nanoseconds / 1_000_000)
        var helper: pid_t = 0
        var pid: pid_t = 0
        var failure = ccorral_exec_failure()
        guard ccorral_exec_in_container(&c, &helper, &pid, &failure) == 0 else {
            let stage = Failure.Stage(rawValue: failure.stage) ?? .fork
            return (helper, .failure(Failure(stage: stage, errno: failure.error, program: plan.arguments.first ?? "",
                                             cwd: plan.cwd, timeout: plan.timeout)))
        }
        return (helper, .success(pid))
    }
}

/// C copies of Swift values that live until `release`.
private struct Buffers {
    private var allocations: [UnsafeMutableRawPointer] = []

    mutating func copy<T>(_ values: [T]) -> UnsafeMutablePointer<T> {
        let pointer = UnsafeMutablePointer<T>.allocate(capacity: max(values.count, 1))
        pointer.initialize(from: values, count: values.count)
        allocations.append(UnsafeMutableRawPointer(pointer))
        return pointer
    }

    mutating func string(_ value: String) -> UnsafeMutablePointer<CChar> {
        let pointer = strdup(value)!
        allocations.append(UnsafeMutableRawPointer(pointer))
        return pointer
    }

    /// A NULL-terminated array with `spare` more NULL slots after the terminator.
    mutating func strings(_ values: [String], spare: Int) -> UnsafeMutablePointer<UnsafeMutablePointer<CChar>?> {
        var pointers: [UnsafeMutablePointer<CChar>?] = values.map { string($0) }
        pointers += Array(repeating: nil, count: 1 + spare)
        return copy(pointers)
    }

    func release() {
        allocations.forEach { free($0) }
    }
}
