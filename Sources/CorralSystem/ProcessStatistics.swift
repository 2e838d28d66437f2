#if canImport(Glibc)
import Glibc
#endif

/// What /proc says about a process's memory, threads and descriptors.
public struct ProcessStatistics: Sendable, Equatable {
    public var vmRSSBytes: UInt64 = 0
    public var pssBytes: UInt64 = 0
    public var anonymousBytes: UInt64 = 0
    public var threads: UInt32 = 0
    public var openFileDescriptors: UInt32 = 0

    public init() {}

    /// Reads /proc/PID (default: this process). Fields /proc cannot give stay zero.
    public static func read(pid: pid_t? = nil) -> ProcessStatistics {
        let base = pid.map { "/proc/\($0)" } ?? "/proc/self"
        var stats = ProcessStatistics()
        if let status = try? FileSystem.readText(base + "/status") {
            stats.vmRSSBytes = kilobytes(in: status, field: "VmRSS:") ?? 0
            stats.threads = UInt32(number(in: status, field: "Threads:") ?? 0)
        }
        if let rollup = try? FileSystem.readText(base + "/smaps_rollup") {
            stats.pssBytes = kilobytes(in: rollup, field: "Pss:") ?? 0
            stats.anonymousBytes = kilobytes(in: rollup, field: "Anonymous:") ?? 0
        }
        if let fds = try? FileSystem.listDirectory(base + "/fd") {
            // Listing /proc/self/fd opens one descriptor of its own; it is closed now.
            stats.openFileDescriptors = UInt32(pid == nil ? max(fds.count - 1, 0) : fds.count)
        }
        return stats
    }

    static func number(in text: String, field: String) -> UInt64? {
        for line in text.split(separator: "\n") where line.hasPrefix(field) {
            let value = line.dropFirst(field.count).split(whereSeparator: { $0 == " " || $0 == "\t" }).first
            return value.flatMap { UInt64($0) }
        }
        return nil
    }

    static func kilobytes(in text: String, field: String) -> UInt64? {
        number(in: text, field: field).map { $0 * 1024 }
    }
}
