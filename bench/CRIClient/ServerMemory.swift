import Foundation

/// The resident set of the CRI server, as /proc reports it.
public enum ServerMemory {
    /// VmRSS of `pid` in kB, or nil when the process is gone or /proc can't be read.
    public static func residentKiB(pid: Int32) -> Int? {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return nil }
        for line in status.split(separator: "\n") where line.hasPrefix("VmRSS:") {
            // "VmRSS:\t   12345 kB"
            return line.split(whereSeparator: { $0 == " " || $0 == "\t" })
                .dropFirst().first.flatMap { Int($0) }
        }
        return nil
    }
}
