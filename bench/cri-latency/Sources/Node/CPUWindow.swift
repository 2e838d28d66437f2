import Foundation

/// The CPU a runtime's processes used between two readings of /proc, by role.
///
/// A pid is the same process in both readings only if its start time agrees. A member that
/// started in between counts whole; one that ended in between counts only if a member reaped
/// it (a shim reaps the runc and exec processes it starts, whose CPU then shows in its reaped
/// children's time), and is otherwise counted in `vanished`.
struct CPUWindow: Codable, Sendable {
    var seconds: Double
    var daemonCPUSeconds = 0.0
    var shimCPUSeconds = 0.0
    var podProcessCPUSeconds = 0.0
    var processes = 0
    var appeared = 0
    var vanished = 0

    var totalCPUSeconds: Double { daemonCPUSeconds + shimCPUSeconds + podProcessCPUSeconds }

    /// CPU seconds a minute, whatever the window's length.
    var totalPerMinute: Double { seconds > 0 ? totalCPUSeconds * 60 / seconds : 0 }

    struct Reading: Sendable {
        var table: ProcessTable
        var members: ServerProcesses
        var at: ContinuousClock.Instant

        static func take(daemon: Int32?, selector: ServerProcesses.Selector) -> Reading {
            let table = ProcessTable.read()
            return Reading(table: table, members: selector.find(daemon: daemon, in: table), at: .now)
        }
    }

    init(from first: Reading, to last: Reading) {
        seconds = SampleBook.milliseconds(last.at - first.at) / 1000
        let roles = first.members.members.merging(last.members.members) { _, latest in latest }
        processes = roles.count
        for (pid, role) in roles {
            let before = first.table[pid]?.stat
            guard let after = last.table[pid]?.stat else {
                vanished += 1
                continue
            }
            let micros: Int
            if let before, before.startTime == after.startTime {
                micros = after.totalMicros - before.totalMicros
            } else {
                appeared += 1
                micros = after.totalMicros
            }
            let cpu = Double(micros) / 1e6
            switch role {
            case .daemon: daemonCPUSeconds += cpu
            case .shims: shimCPUSeconds += cpu
            case .podProcesses: podProcessCPUSeconds += cpu
            }
        }
    }
}
