/// A seccomp filter as runc builds it with libseccomp: a default action and rules per syscall.
public struct LinuxSeccomp: Codable, Sendable, Equatable {
    /// "SCMP_ACT_ERRNO", "SCMP_ACT_ALLOW", ….
    public var defaultAction: String
    public var defaultErrnoRet: UInt32?
    /// "SCMP_ARCH_X86_64", ….
    public var architectures: [String]?
    public var flags: [String]?
    public var listenerPath: String?
    public var syscalls: [LinuxSyscall]?

    public init(defaultAction: String, defaultErrnoRet: UInt32? = nil, architectures: [String]? = nil,
                flags: [String]? = nil, listenerPath: String? = nil, syscalls: [LinuxSyscall]? = nil) {
        self.defaultAction = defaultAction
        self.defaultErrnoRet = defaultErrnoRet
        self.architectures = architectures
        self.flags = flags
        self.listenerPath = listenerPath
        self.syscalls = syscalls
    }
}

public struct LinuxSyscall: Codable, Sendable, Equatable {
    public var names: [String]
    public var action: String
    public var errnoRet: UInt32?
    public var args: [LinuxSeccompArg]?

    public init(names: [String], action: String, errnoRet: UInt32? = nil, args: [LinuxSeccompArg]? = nil) {
        self.names = names
        self.action = action
        self.errnoRet = errnoRet
        self.args = args
    }
}

/// A condition on one syscall argument; "SCMP_CMP_EQ", "SCMP_CMP_MASKED_EQ", ….
public struct LinuxSeccompArg: Codable, Sendable, Equatable {
    public var index: UInt
    public var value: UInt64
    public var valueTwo: UInt64?
    public var op: String

    public init(index: UInt, value: UInt64, valueTwo: UInt64? = nil, op: String) {
        self.index = index
        self.value = value
        self.valueTwo = valueTwo
        self.op = op
    }
}
