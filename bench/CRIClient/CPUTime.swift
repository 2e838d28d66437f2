import Foundation

/// CPU time (user + system) of this process and of the server, to tell how much of a call's
/// latency each side spent computing.
public enum CPUTime {
    /// This process's, in microseconds.
    public static func ownMicros() -> Int {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return (usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) * 1_000_000
            + Int(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec)
    }

    /// Another process's, in microseconds (/proc counts clock ticks of 10 ms); nil when it is gone.
    public static func micros(pid: Int32) -> Int? {
        ProcessStat(pid: pid)?.ownMicros
    }
}
