import Foundation

/// The peak resident set of the CRI server over a span of work (a pull), from VmHWM.
extension ServerMemory {
    /// VmHWM of `pid` in kB: the largest resident set since it started or since `resetPeak`.
    public static func peakKiB(pid: Int32) -> Int? {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }) else { return nil }
        // "VmHWM:\t   12345 kB"
        return line.split(whereSeparator: { $0 == " " || $0 == "\t" }).dropFirst().first.flatMap { Int($0) }
    }

    /// Sets VmHWM back to the current resident set (writing 5 to clear_refs, Linux 4.0 on), so
    /// that the next `peakKiB` is the peak of what happens from now on. False when the kernel
    /// or the permissions refuse it: the peak then covers the process's whole life.
    @discardableResult
    public static func resetPeak(pid: Int32) -> Bool {
        guard let handle = FileHandle(forWritingAtPath: "/proc/\(pid)/clear_refs") else { return false }
        defer { try? handle.close() }
        do {
            try handle.write(contentsOf: Data("5".utf8))
            return true
        } catch {
            return false
        }
    }
}
