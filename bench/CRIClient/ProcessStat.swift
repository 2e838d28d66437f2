import Foundation

/// The fields of /proc/PID/stat the benches read: who a process's parent is, when it started
/// (which tells a reused pid from the process it replaced) and the CPU it and its reaped
/// children used.
public struct ProcessStat: Sendable, Equatable {
    /// R, S, D, Z (a zombie: dead, not yet reaped)…
    public var state: Character
    public var ppid: Int32
    /// Clock ticks since boot.
    public var startTime: UInt64
    public var userTicks: Int
    public var systemTicks: Int
    /// What the children it waited for used: a shim reaps the runc and exec processes it starts,
    /// so their CPU lands here once they are gone.
    public var reapedChildrenTicks: Int

    public static let ticksPerSecond = Int(sysconf(Int32(_SC_CLK_TCK)))

    public init?(pid: Int32) {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8) else { return nil }
        self.init(parsing: text)
    }

    public init?(parsing stat: String) {
        // The command name may hold spaces and parentheses; the fields start after the last ")".
        guard let close = stat.lastIndex(of: ")") else { return nil }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        // state is the first field after the name, ppid the 2nd, utime the 12th, stime the 13th,
        // cutime and cstime the 14th and 15th, starttime the 20th.
        guard fields.count > 19, let state = fields[0].first, let ppid = Int32(fields[1]), let user = Int(fields[11]), let system = Int(fields[12]),
              let childUser = Int(fields[13]), let childSystem = Int(fields[14]), let start = UInt64(fields[19])
        else { return nil }
        self.state = state
        self.ppid = ppid
        startTime = start
        userTicks = user
        systemTicks = system
        reapedChildrenTicks = childUser + childSystem
    }

    /// The process's own user + system time, in microseconds.
    public var ownMicros: Int { (userTicks + systemTicks) * 1_000_000 / Self.ticksPerSecond }

    /// Its own time and that of the children it reaped, in microseconds.
    public var totalMicros: Int { (userTicks + systemTicks + reapedChildrenTicks) * 1_000_000 / Self.ticksPerSecond }
}
