#if canImport(Glibc)
import Glibc
#endif

/// Wall and monotonic time in nanoseconds, straight from clock_gettime.
public enum Clock {
    public static var monotonicNanos: UInt64 { read(CLOCK_MONOTONIC) }
    public static var wallNanos: UInt64 { read(CLOCK_REALTIME) }
    /// The CPU time the calling thread has used.
    public static var threadCPUNanos: UInt64 { read(CLOCK_THREAD_CPUTIME_ID) }

    /// Sleeps the calling thread (not a task: for threads of their own, such as the log pumps).
    public static func sleepThread(nanos: UInt64) {
        var request = timespec(tv_sec: Int(nanos / 1_000_000_000), tv_nsec: Int(nanos % 1_000_000_000))
        var remaining = timespec()
        while nanosleep(&request, &remaining) != 0 && errno == EINTR { request = remaining }
    }

    private static func read(_ clock: clockid_t) -> UInt64 {
        var ts = timespec()
        clock_gettime(clock, &ts)
        return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
    }
}

extension Duration {
    /// Whole nanoseconds, clamped to Int64 (a duration of "forever" stays the longest one).
    public var nanoseconds: Int64 {
        let (seconds, attoseconds) = components
        let (scaled, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        if overflow { return seconds < 0 ? .min : .max }
        let (sum, sumOverflow) = scaled.addingReportingOverflow(attoseconds / 1_000_000_000)
        return sumOverflow ? (seconds < 0 ? .min : .max) : sum
    }
}
