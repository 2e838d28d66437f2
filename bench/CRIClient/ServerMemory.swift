import Foundation

/// The memory of the CRI server's processes, as /proc reports it.
public enum ServerMemory {
    /// Resident and proportional set sizes, in kB. Pss divides each shared page among the
    /// processes that map it, so summing Pss over many shims counts their one binary once;
    /// summing Rss counts it in every shim.
    public struct Usage: Codable, Sendable, Equatable {
        public var rssKiB = 0
        public var pssKiB = 0

        public init(rssKiB: Int = 0, pssKiB: Int = 0) {
            self.rssKiB = rssKiB
            self.pssKiB = pssKiB
        }

        public static func + (a: Usage, b: Usage) -> Usage {
            Usage(rssKiB: a.rssKiB + b.rssKiB, pssKiB: a.pssKiB + b.pssKiB)
        }
    }

    /// VmRSS of `pid` in kB, or nil when the process is gone or /proc can't be read.
    public static func residentKiB(pid: Int32) -> Int? {
        read("/proc/\(pid)/status").flatMap { field("VmRSS:", in: $0) }
    }

    /// Rss and Pss of `pid` from /proc/PID/smaps_rollup, or nil when the process is gone.
    public static func usage(pid: Int32) -> Usage? {
        guard let rollup = read("/proc/\(pid)/smaps_rollup"),
              let rss = field("Rss:", in: rollup), let pss = field("Pss:", in: rollup) else { return nil }
        return Usage(rssKiB: rss, pssKiB: pss)
    }

    /// The number after `key` on its line ("VmRSS:\t   12345 kB").
    private static func field(_ key: String, in text: String) -> Int? {
        for line in text.split(separator: "\n") where line.hasPrefix(key) {
            return line.split(whereSeparator: { $0 == " " || $0 == "\t" })
                .dropFirst().first.flatMap { Int($0) }
        }
        return nil
    }

    private static func read(_ path: String) -> String? {
        try? String(contentsOfFile: path, encoding: .utf8)
    }
}
