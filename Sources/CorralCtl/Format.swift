import ShimAPI

/// Human-readable numbers for corralctl's text output.
enum Format {
    static func bytes(_ count: UInt64) -> String {
        let units = ["B", "KiB", "MiB", "GiB", "TiB"]
        var value = Double(count)
        var unit = 0
        while value >= 1024 && unit < units.count - 1 {
            value /= 1024
            unit += 1
        }
        return unit == 0 ? "\(count) B" : "\(rounded(value)) \(units[unit])"
    }

    static func duration(nanos: UInt64) -> String {
        let seconds = Double(nanos) / 1e9
        if seconds < 1e-3 { return "\(rounded(seconds * 1e6)) µs" }
        if seconds < 1 { return "\(rounded(seconds * 1e3)) ms" }
        if seconds < 120 { return "\(rounded(seconds)) s" }
        let total = Int(seconds)
        return "\(total / 3600)h\(total / 60 % 60)m\(total % 60)s"
    }

    static func status(_ status: Corral_Shim_V1_TaskStatus) -> String {
        switch status {
        case .created: "created"
        case .running: "running"
        case .stopped: "stopped"
        case .paused: "paused"
        default: "unknown"
        }
    }

    private static func rounded(_ value: Double) -> String {
        let tenths = (value * 10).rounded() / 10
        return tenths == tenths.rounded() ? "\(Int(tenths))" : "\(tenths)"
    }
}

/// Aligned text tables.
enum Table {
    static func render(_ pairs: [(String, String)]) -> String {
        let width = pairs.map(\.0.count).max() ?? 0
        return pairs.map { key, value in key.padding(width) + "  " + value }.joined(separator: "\n")
    }

    static func columns(_ rows: [[String]]) -> String {
        guard let first = rows.first else { return "" }
        let widths = first.indices.map { column in rows.map { $0[column].count }.max() ?? 0 }
        // The last column is not padded: no trailing blanks for `grep`/`awk` or a copy-paste to trip on.
        return rows.map { row in
            row.enumerated().map { $0 == row.count - 1 ? $1 : $1.padding(widths[$0]) }.joined(separator: "   ")
        }.joined(separator: "\n")
    }
}

extension String {
    fileprivate func padding(_ width: Int) -> String {
        self + String(repeating: " ", count: max(0, width - count))
    }
}
