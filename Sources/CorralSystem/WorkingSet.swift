import CCorral
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Trimming what an idle process keeps mapped.
public enum WorkingSet {
    /// One malloc arena for the whole process: glibc gives each new thread an arena of its own,
    /// and a shim's threads allocate little, rarely at once.
    public static func useSingleMallocArena() {
        _ = ccorral_single_malloc_arena()
    }

    /// Drops the clean, read-only pages of every mapped file — the executable and the shared
    /// libraries (the Swift runtime, Foundation, …) — from the page tables. A mapping that
    /// holds a written page (relocated data made read-only afterwards, RELRO) is left alone:
    /// only pages that equal the file's are dropped, so nothing can be lost; what is used again
    /// comes back from the page cache.
    ///
    /// Which mappings those are is read from /proc/self/smaps once and remembered: the kernel
    /// walks every page of the process to write smaps, which cost an idle shim more than the
    /// trim saved, every time it went idle. The answer does not change once the process runs:
    /// a read-only mapping's pages cannot be written, and a mapping made later (none, in a
    /// static shim) is merely left alone.
    @discardableResult
    public static func releaseCleanFilePages() -> Int {
        let ranges = cleanFileMappings.withLock { known in
            if known == nil { known = readCleanFileMappings() }
            return known ?? []
        }
        var released = 0
        for range in ranges {
            guard let address = UnsafeMutableRawPointer(bitPattern: range.start) else { continue }
            if madvise(address, Int(range.end - range.start), MADV_DONTNEED) == 0 {
                released += Int(range.end - range.start)
            }
        }
        return released
    }

    private static let cleanFileMappings = Mutex<[(start: UInt, end: UInt)]?>(nil)

    /// Read-only file mappings without a privately written page (see `releaseCleanFilePages`).
    private static func readCleanFileMappings() -> [(start: UInt, end: UInt)]? {
        guard let smaps = try? FileSystem.readText("/proc/self/smaps") else { return nil }
        var clean: [(start: UInt, end: UInt)] = []
        var candidate: (start: UInt, end: UInt)?
        for line in smaps.split(separator: "\n") {
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            if let first = fields.first, first.contains("-"), !first.hasSuffix(":") {
                candidate = nil
                let bounds = first.split(separator: "-")
                guard fields.count >= 6, fields[5].hasPrefix("/"), !fields[1].contains("w"), bounds.count == 2,
                      let start = UInt(bounds[0], radix: 16), let end = UInt(bounds[1], radix: 16) else { continue }
                candidate = (start, end)
            } else if let range = candidate, fields.first == "Private_Dirty:" {
                candidate = nil
                if fields.count >= 2, fields[1] == "0" { clean.append(range) }
            }
        }
        return clean
    }

    /// Gives free heap pages back to the kernel and drops clean file pages: for a process
    /// that has gone idle after work.
    public static func trim() {
        _ = ccorral_malloc_trim()
        releaseCleanFilePages()
    }
}
