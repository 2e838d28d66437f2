import CSeccomp

/// Syscall names as libseccomp knows them, which is what runc resolves a profile against.
public enum SyscallNames {
    /// Whether libseccomp knows `name` on any architecture (a name of another architecture, such as
    /// chown32 on x86_64, resolves to a negative pseudo-number, which is still known).
    public static func isKnown(_ name: String) -> Bool {
        seccomp_syscall_resolve_name(name) != __NR_SCMP_ERROR
    }
}
