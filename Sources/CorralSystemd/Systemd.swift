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

extension Systemd {
    /// Whether systemd is the init system here (sd_booted: /run/systemd/system exists).
    public static var booted: Bool { sd_booted() > 0 }

    /// Starts the transient scope `unit` in `slice` holding `pid`, through systemd's D-Bus API,
    /// as runc does for a container and CRI-O for conmon. Blocks for up to `timeout`; the scope
    /// may still be starting when it returns. Throws systemd's refusal or the errno.
    public static func startScope(_ unit: String, slice: String, description: String, pid: Int32,
                                  timeout: Duration = .seconds(5)) throws(SystemdError) {
        var text = [CChar](repeating: 0, count: 512)
        let microseconds = UInt64(timeout.components.seconds) * 1_000_000 + UInt64(timeout.components.attoseconds / 1_000_000_000_000)
        let result = corral_systemd_start_scope(unit, slice, description, pid, microseconds, &text, text.count)
        guard result < 0 else { return }
        let message = String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        throw SystemdError(call: "StartTransientUnit \(unit)", errno: -result, message: message)
    }
}

/// A refused or failed call to systemd.
public struct SystemdError: Error, CustomStringConvertible, Sendable {
    public var call: String
    public var errno: Int32
    public var message: String

    public var description: String {
        "\(call): " + (message.isEmpty ? "errno \(errno)" : message)
    }
}
