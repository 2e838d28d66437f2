#if canImport(Glibc)
import Glibc
#endif

/// RFC 3339 timestamps with nanoseconds in UTC, as CRI log lines and our own logs use.
public enum RFC3339 {
    public static func format(wallNanos: UInt64) -> String {
        var seconds = time_t(wallNanos / 1_000_000_000)
        let nanos = Int(wallNanos % 1_000_000_000)
        var parts = tm()
        gmtime_r(&seconds, &parts)
        return "\(parts.tm_year + 1900)-\(pad(parts.tm_mon + 1, 2))-\(pad(parts.tm_mday, 2))T"
            + "\(pad(parts.tm_hour, 2)):\(pad(parts.tm_min, 2)):\(pad(parts.tm_sec, 2)).\(pad(nanos, 9))Z"
    }

    public static var now: String { format(wallNanos: Clock.wallNanos) }

    private static func pad(_ value: some BinaryInteger, _ width: Int) -> String {
        let digits = String(value)
        return String(repeating: "0", count: max(0, width - digits.count)) + digits
    }
}
