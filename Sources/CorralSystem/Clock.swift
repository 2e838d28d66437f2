#if canImport(Glibc)
import Glibc
#endif

/// Wall and monotonic time in nanoseconds, straight from clock_gettime.
public enum Clock {
    public static var monotonicNanos: UInt64 { read(CLOCK_MONOTONIC) }
    public static var wallNanos: UInt64 { read(CLOCK_REALTIME) }

    private static func read(_ clock: clockid_t) -> UInt64 {
        var ts = timespec()
        clock_gettime(clock, &ts)
        return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
    }
}
