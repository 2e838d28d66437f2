import CorralSystem

/// Linux capability names and the sets containers start from.
public enum Capabilities {
    /// Every capability by number, as the kernel numbers them (CAP_CHOWN = 0 …).
    public static let known: [String] = [
        "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH", "CAP_FOWNER", "CAP_FSETID", "CAP_KILL",
        "CAP_SETGID", "CAP_SETUID", "CAP_SETPCAP", "CAP_LINUX_IMMUTABLE", "CAP_NET_BIND_SERVICE",
        "CAP_NET_BROADCAST", "CAP_NET_ADMIN", "CAP_NET_RAW", "CAP_IPC_LOCK", "CAP_IPC_OWNER", "CAP_SYS_MODULE",
        "CAP_SYS_RAWIO", "CAP_SYS_CHROOT", "CAP_SYS_PTRACE", "CAP_SYS_PACCT", "CAP_SYS_ADMIN", "CAP_SYS_BOOT",
        "CAP_SYS_NICE", "CAP_SYS_RESOURCE", "CAP_SYS_TIME", "CAP_SYS_TTY_CONFIG", "CAP_MKNOD", "CAP_LEASE",
        "CAP_AUDIT_WRITE", "CAP_AUDIT_CONTROL", "CAP_SETFCAP", "CAP_MAC_OVERRIDE", "CAP_MAC_ADMIN", "CAP_SYSLOG",
        "CAP_WAKE_ALARM", "CAP_BLOCK_SUSPEND", "CAP_AUDIT_READ", "CAP_PERFMON", "CAP_BPF", "CAP_CHECKPOINT_RESTORE",
    ]

    /// containerd's (and Docker's) default set for unprivileged containers.
    public static let defaults: [String] = [
        "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD", "CAP_NET_RAW", "CAP_SETGID",
        "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT", "CAP_KILL",
        "CAP_AUDIT_WRITE",
    ]

    /// `CAP_`-prefixed, upper-case form of a CRI name ("net_admin", "CAP_NET_ADMIN", "Net_Admin");
    /// nil for a name the kernel does not know.
    public static func canonical(_ name: String) -> String? {
        let upper = name.uppercased()
        let full = upper.hasPrefix("CAP_") ? upper : "CAP_" + upper
        return known.contains(full) ? full : nil
    }

    /// The capabilities in `mask`, bit n being capability n.
    public static func names(inMask mask: UInt64) -> [String] {
        known.indices.filter { mask & (1 << UInt64($0)) != 0 }.map { known[$0] }
    }

    /// This process's effective set, from /proc/self/status (all known ones if unreadable).
    public static func current() -> [String] {
        guard let status = try? FileSystem.readText("/proc/self/status") else { return known }
        for line in status.split(separator: "\n") where line.hasPrefix("CapEff:") {
            let hex = line.dropFirst("CapEff:".count).trimmingPrefix(while: { $0 == " " || $0 == "\t" })
            if let mask = UInt64(hex, radix: 16) { return names(inMask: mask) }
        }
        return known
    }
}
