import BenchCRIClient
import Foundation

/// Every process in /proc at one instant, with its stat and command line: enough to find a
/// runtime's processes by their command lines and parents, and to read their CPU.
struct ProcessTable: Sendable {
    struct Process: Sendable {
        var stat: ProcessStat
        /// argv joined by spaces.
        var commandLine: String
    }

    private(set) var processes: [Int32: Process] = [:]

    static func read() -> ProcessTable {
        var table = ProcessTable()
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        for entry in entries {
            // A process may end between the listing and the read: it is simply not in the table.
            guard let pid = Int32(entry), let stat = ProcessStat(pid: pid) else { continue }
            table.processes[pid] = Process(stat: stat, commandLine: commandLine(pid))
        }
        return table
    }

    subscript(pid: Int32) -> Process? { processes[pid] }

    /// Children, grandchildren and so on of `roots`, the roots left out.
    func descendants(of roots: [Int32]) -> [Int32] {
        var children: [Int32: [Int32]] = [:]
        for (pid, process) in processes { children[process.stat.ppid, default: []].append(pid) }
        var found: [Int32] = []
        var pending = roots
        while let pid = pending.popLast() {
            let next = children[pid] ?? []
            found += next
            pending += next
        }
        return found
    }

    private static func commandLine(_ pid: Int32) -> String {
        guard let data = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") else { return "" }
        return String(decoding: data, as: UTF8.self)
            .split(separator: "\0", omittingEmptySubsequences: true).joined(separator: " ")
    }
}
