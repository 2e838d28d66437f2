import CSystemd

/// What corrald tells systemd, through libsystemd. Every call is a no-op when systemd did not
/// start us (no NOTIFY_SOCKET, no LISTEN_FDS).
public enum Systemd {
    public static func notify(_ state: String) {
        _ = sd_notify(0, state)
    }

    /// Listening sockets passed by socket activation (the CRI socket of corrald.socket).
    public static func listeningDescriptors() -> [Int32] {
        let count = sd_listen_fds(1)
        guard count > 0 else { return [] }
        return (0..<count).map { SD_LISTEN_FDS_START + $0 }
    }

    /// Half of WATCHDOG_USEC, when the unit sets a watchdog.
    public static var watchdogInterval: Duration? {
        var usec: UInt64 = 0
        guard sd_watchdog_enabled(0, &usec) > 0, usec > 0 else { return nil }
        return .microseconds(Int64(usec / 2))
    }

    /// What systemd hands the unit it started, for that unit alone: a child that inherits
    /// NOTIFY_SOCKET (runc) speaks for the unit, or sets up a notify proxy of its own, which
    /// fails (a socket path over the kernel's 108 bytes) and with it every container start.
    public static let unitVariables: Set<String> = ["NOTIFY_SOCKET", "LISTEN_FDS", "LISTEN_PID", "LISTEN_FDNAMES",
                                                    "WATCHDOG_USEC", "WATCHDOG_PID"]

    /// `environment` (KEY=value strings) without `unitVariables`.
    public static func withoutUnitVariables(_ environment: [String]) -> [String] {
        environment.filter { entry in
            !unitVariables.contains(String(entry.prefix { $0 != "=" }))
        }
    }
}
