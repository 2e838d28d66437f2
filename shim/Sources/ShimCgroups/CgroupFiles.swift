import CorralSystem

/// Readers for the few shapes cgroup interface files come in. A file that is missing or
/// unreadable reads as absent: controllers differ between kernels and hierarchies, and a
/// cgroup can vanish between two reads.
enum CgroupFiles {
    /// A file holding one number.
    static func number(_ path: String) -> UInt64? {
        guard let text = try? FileSystem.readText(path) else { return nil }
        return UInt64(text.trimmingWhitespace)
    }

    /// A limit: a number, or "max" for none (v2 memory.max, pids.max in both versions).
    static func limit(_ path: String) -> Limit {
        guard let text = try? FileSystem.readText(path) else { return .missing }
        let value = text.trimmingWhitespace
        if value == "max" { return .unlimited }
        return UInt64(value).map(Limit.value) ?? .missing
    }

    enum Limit: Equatable {
        case missing
        case unlimited
        case value(UInt64)
    }

    /// "key value" lines (memory.stat, cpu.stat, memory.events, memory.oom_control).
    static func keyed(_ path: String) -> [Substring: UInt64] {
        guard let text = try? FileSystem.readText(path) else { return [:] }
        return parseKeyed(text)
    }

    static func parseKeyed(_ text: String) -> [Substring: UInt64] {
        var values: [Substring: UInt64] = [:]
        for line in text.split(separator: "\n") {
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            if fields.count == 2, let value = UInt64(fields[1]) { values[fields[0]] = value }
        }
        return values
    }
}

extension StringProtocol {
    var trimmingWhitespace: Substring {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\n" || $0 == "\t" }
        let text = Substring(self)
        guard let first = text.firstIndex(where: { !isSpace($0) }),
              let last = text.lastIndex(where: { !isSpace($0) }) else { return "" }
        return text[first...last]
    }
}
