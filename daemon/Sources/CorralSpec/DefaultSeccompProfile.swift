import OCISpec

/// The RuntimeDefault seccomp profile: containerd's default allow-list (itself Docker's), for
/// x86_64 hosts, with the syscalls each granted capability needs.
public enum DefaultSeccompProfile {
    public static let architectures = ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"]

    /// - Parameter capabilities: the bounding set the container gets.
    /// - Parameter isKnown: names it rejects are left out, so a libseccomp older than the list
    ///   does not make runc fail.
    public static func make(capabilities: [String],
                            isKnown: (String) -> Bool = SyscallNames.isKnown) -> LinuxSeccomp {
        var rules = [LinuxSyscall(names: allowed, action: "SCMP_ACT_ALLOW")]
        // socket(2) for every family but AF_ALG (38) and AF_VSOCK (40); one condition per rule,
        // since runc ORs repeated conditions on the same argument.
        for (value, op) in [(UInt64(38), "SCMP_CMP_LT"), (39, "SCMP_CMP_EQ"), (40, "SCMP_CMP_GT")] {
            rules.append(LinuxSyscall(names: ["socket"], action: "SCMP_ACT_ALLOW",
                                      args: [LinuxSeccompArg(index: 0, value: value, op: op)]))
        }
        // personality(2) only for PER_LINUX, PER_LINUX32, UNAME26 variants and the query value.
        for value: UInt64 in [0x0, 0x8, 0x20000, 0x20008, 0xffff_ffff] {
            rules.append(LinuxSyscall(names: ["personality"], action: "SCMP_ACT_ALLOW",
                                      args: [LinuxSeccompArg(index: 0, value: value, op: "SCMP_CMP_EQ")]))
        }
        // Kernels from 4.8 check ptrace against seccomp properly, so containerd allows it there.
        rules.append(LinuxSyscall(names: ["process_vm_readv", "process_vm_writev", "ptrace"], action: "SCMP_ACT_ALLOW"))
        rules.append(LinuxSyscall(names: ["arch_prctl", "modify_ldt"], action: "SCMP_ACT_ALLOW"))

        var admin = false
        for capability in capabilities {
            if capability == "CAP_SYS_ADMIN" { admin = true }
            if let names = byCapability[capability] {
                rules.append(LinuxSyscall(names: names, action: "SCMP_ACT_ALLOW"))
            }
        }
        if !admin {
            // clone(2) without any CLONE_NEW* flag in its first argument.
            let newNamespaceFlags: UInt64 = 0x0002_0000 | 0x0400_0000 | 0x0800_0000 | 0x1000_0000
                | 0x2000_0000 | 0x4000_0000 | 0x0200_0000
            rules.append(LinuxSyscall(names: ["clone"], action: "SCMP_ACT_ALLOW",
                                      args: [LinuxSeccompArg(index: 0, value: newNamespaceFlags, valueTwo: 0,
                                                             op: "SCMP_CMP_MASKED_EQ")]))
            // ENOSYS rather than EPERM makes libc fall back to clone(2) (moby/moby#42681).
            rules.append(LinuxSyscall(names: ["clone3"], action: "SCMP_ACT_ERRNO", errnoRet: 38))
        }

        let known = rules.compactMap { rule -> LinuxSyscall? in
            var kept = rule
            kept.names = rule.names.filter(isKnown)
            return kept.names.isEmpty ? nil : kept
        }
        return LinuxSeccomp(defaultAction: "SCMP_ACT_ERRNO", defaultErrnoRet: 1, architectures: architectures,
                            syscalls: known)
    }

    /// Syscalls allowed only with a capability, as containerd's profile pairs them.
    static let byCapability: [String: [String]] = [
        "CAP_DAC_READ_SEARCH": ["open_by_handle_at"],
        "CAP_SYS_ADMIN": [
            "bpf", "clone", "clone3", "fanotify_init", "fsconfig", "fsmount", "fsopen", "fspick", "lookup_dcookie",
            "mount", "mount_setattr", "move_mount", "open_tree", "perf_event_open", "quotactl", "quotactl_fd",
            "setdomainname", "sethostname", "setns", "syslog", "umount", "umount2", "unshare",
        ],
        "CAP_SYS_BOOT": ["reboot"],
        "CAP_SYS_CHROOT": ["chroot"],
        "CAP_SYS_MODULE": ["delete_module", "init_module", "finit_module"],
        "CAP_SYS_PACCT": ["acct"],
        "CAP_SYS_PTRACE": ["kcmp", "pidfd_getfd", "process_madvise", "process_vm_readv", "process_vm_writev", "ptrace"],
        "CAP_SYS_RAWIO": ["iopl", "ioperm"],
        "CAP_SYS_TIME": ["settimeofday", "stime", "clock_settime", "clock_settime64"],
        "CAP_SYS_TTY_CONFIG": ["vhangup"],
        "CAP_SYS_NICE": ["get_mempolicy", "mbind", "set_mempolicy", "set_mempolicy_home_node"],
        "CAP_SYSLOG": ["syslog"],
        "CAP_BPF": ["bpf"],
        "CAP_PERFMON": ["perf_event_open"],
    ]

    /// Allowed without conditions.
    static let allowed: [String] = [
        "accept", "accept4", "access", "adjtimex", "alarm", "bind", "brk", "cachestat", "capget", "capset", "chdir",
        "chmod", "chown", "chown32", "clock_adjtime", "clock_adjtime64", "clock_getres", "clock_getres_time64",
        "clock_gettime", "clock_gettime64", "clock_nanosleep", "clock_nanosleep_time64", "close", "close_range",
        "connect", "copy_file_range", "creat", "dup", "dup2", "dup3", "epoll_create", "epoll_create1", "epoll_ctl",
        "epoll_ctl_old", "epoll_pwait", "epoll_pwait2", "epoll_wait", "epoll_wait_old", "eventfd", "eventfd2",
        "execve", "execveat", "exit", "exit_group", "faccessat", "faccessat2", "fadvise64", "fadvise64_64",
        "fallocate", "fanotify_mark", "fchdir", "fchmod", "fchmodat", "fchmodat2", "fchown", "fchown32", "fchownat",
        "fcntl", "fcntl64", "fdatasync", "fgetxattr", "flistxattr", "flock", "fork", "fremovexattr", "fsetxattr",
        "fstat", "fstat64", "fstatat64", "fstatfs", "fstatfs64", "fsync", "ftruncate", "ftruncate64", "futex",
        "futex_requeue", "futex_time64", "futex_wait", "futex_waitv", "futex_wake", "futimesat", "getcpu", "getcwd",
        "getdents", "getdents64", "getegid", "getegid32", "geteuid", "geteuid32", "getgid", "getgid32", "getgroups",
        "getgroups32", "getitimer", "getpeername", "getpgid", "getpgrp", "getpid", "getppid", "getpriority",
        "getrandom", "getresgid", "getresgid32", "getresuid", "getresuid32", "getrlimit", "get_robust_list",
        "getrusage", "getsid", "getsockname", "getsockopt", "get_thread_area", "gettid", "gettimeofday", "getuid",
        "getuid32", "getxattr", "inotify_add_watch", "inotify_init", "inotify_init1", "inotify_rm_watch",
        "io_cancel", "ioctl", "io_destroy", "io_getevents", "io_pgetevents", "io_pgetevents_time64", "ioprio_get",
        "ioprio_set", "io_setup", "io_submit", "io_uring_enter", "io_uring_register", "io_uring_setup", "ipc",
        "kill", "landlock_add_rule", "landlock_create_ruleset", "landlock_restrict_self", "lchown", "lchown32",
        "lgetxattr", "link", "linkat", "listen", "listxattr", "llistxattr", "_llseek", "lremovexattr", "lseek",
        "lsetxattr", "lstat", "lstat64", "madvise", "membarrier", "memfd_create", "memfd_secret", "mincore", "mkdir",
        "mkdirat", "mknod", "mknodat", "mlock", "mlock2", "mlockall", "map_shadow_stack", "mmap", "mmap2",
        "mprotect", "mq_getsetattr", "mq_notify", "mq_open", "mq_timedreceive", "mq_timedreceive_time64",
        "mq_timedsend", "mq_timedsend_time64", "mq_unlink", "mremap", "msgctl", "msgget", "msgrcv", "msgsnd",
        "msync", "munlock", "munlockall", "munmap", "name_to_handle_at", "nanosleep", "newfstatat", "_newselect",
        "open", "openat", "openat2", "pause", "pidfd_open", "pidfd_send_signal", "pipe", "pipe2", "pkey_alloc",
        "pkey_free", "pkey_mprotect", "poll", "ppoll", "ppoll_time64", "prctl", "pread64", "preadv", "preadv2",
        "prlimit64", "process_mrelease", "pselect6", "pselect6_time64", "pwrite64", "pwritev", "pwritev2", "read",
        "readahead", "readlink", "readlinkat", "readv", "recv", "recvfrom", "recvmmsg", "recvmmsg_time64",
        "recvmsg", "remap_file_pages", "removexattr", "rename", "renameat", "renameat2", "restart_syscall", "rmdir",
        "rseq", "rt_sigaction", "rt_sigpending", "rt_sigprocmask", "rt_sigqueueinfo", "rt_sigreturn",
        "rt_sigsuspend", "rt_sigtimedwait", "rt_sigtimedwait_time64", "rt_tgsigqueueinfo", "sched_getaffinity",
        "sched_getattr", "sched_getparam", "sched_get_priority_max", "sched_get_priority_min",
        "sched_getscheduler", "sched_rr_get_interval", "sched_rr_get_interval_time64", "sched_setaffinity",
        "sched_setattr", "sched_setparam", "sched_setscheduler", "sched_yield", "seccomp", "select", "semctl",
        "semget", "semop", "semtimedop", "semtimedop_time64", "send", "sendfile", "sendfile64", "sendmmsg",
        "sendmsg", "sendto", "setfsgid", "setfsgid32", "setfsuid", "setfsuid32", "setgid", "setgid32", "setgroups",
        "setgroups32", "setitimer", "setpgid", "setpriority", "setregid", "setregid32", "setresgid", "setresgid32",
        "setresuid", "setresuid32", "setreuid", "setreuid32", "setrlimit", "set_robust_list", "setsid",
        "setsockopt", "set_thread_area", "set_tid_address", "setuid", "setuid32", "setxattr", "shmat", "shmctl",
        "shmdt", "shmget", "shutdown", "sigaltstack", "signalfd", "signalfd4", "sigprocmask", "sigreturn",
        "socketcall", "socketpair", "splice", "stat", "stat64", "statfs", "statfs64", "statx", "symlink",
        "symlinkat", "sync", "sync_file_range", "syncfs", "sysinfo", "tee", "tgkill", "time", "timer_create",
        "timer_delete", "timer_getoverrun", "timer_gettime", "timer_gettime64", "timer_settime", "timer_settime64",
        "timerfd_create", "timerfd_gettime", "timerfd_gettime64", "timerfd_settime", "timerfd_settime64", "times",
        "tkill", "truncate", "truncate64", "ugetrlimit", "umask", "uname", "unlink", "unlinkat", "utime",
        "utimensat", "utimensat_time64", "utimes", "vfork", "vmsplice", "wait4", "waitid", "waitpid", "write",
        "writev",
    ]
}
