/// Durations written as Go writes them ("10s", "500ms", "1m30s", "1.5h"), the form containerd's and
/// kubelet's configurations use.
public enum DurationText {
    private static let units: [(suffix: String, nanoseconds: Int64)] = [
        // Longer suffixes first, so "ms" is not read as "m" followed by garbage.
        ("ns", 1), ("us", 1_000), ("µs", 1_000), ("μs", 1_000), ("ms", 1_000_000),
        ("s", 1_000_000_000), ("m", 60_000_000_000), ("h", 3_600_000_000_000),
    ]

    /// nil when `text` is not a duration (no unit, unknown unit, negative, or too large).
    public static func parse(_ text: String) -> Duration? {
        if text == "0" { return .zero }
        var rest = Substring(text)
        guard !rest.isEmpty else { return nil }
        var total: Int64 = 0
        while !rest.isEmpty {
            let whole = rest.prefix { $0.isASCII && $0.isNumber }
            rest = rest.dropFirst(whole.count)
            var fraction = Substring("")
            if rest.first == "." {
                rest = rest.dropFirst()
                fraction = rest.prefix { $0.isASCII && $0.isNumber }
                rest = rest.dropFirst(fraction.count)
            }
            guard !whole.isEmpty || !fraction.isEmpty,
                  let unit = units.first(where: { rest.hasPrefix($0.suffix) }) else { return nil }
            rest = rest.dropFirst(unit.suffix.count)

            guard let wholeValue = whole.isEmpty ? 0 : Int64(whole) else { return nil }
            let (product, overflowed) = wholeValue.multipliedReportingOverflow(by: unit.nanoseconds)
            guard !overflowed else { return nil }
            // The fraction is below one unit, so a Double's precision is plenty.
            let fractionNanos = fraction.isEmpty ? 0 : Int64((Double("0." + fraction)! * Double(unit.nanoseconds)).rounded())
            let (sum, sumOverflowed) = total.addingReportingOverflow(product)
            guard !sumOverflowed else { return nil }
            let (withFraction, fractionOverflowed) = sum.addingReportingOverflow(fractionNanos)
            guard !fractionOverflowed else { return nil }
            total = withFraction
        }
        return .nanoseconds(total)
    }

    /// The shortest Go-style text of `duration`: "1m30s", "500ms", "0s".
    public static func format(_ duration: Duration) -> String {
        let (seconds, attoseconds) = duration.components
        let (scaled, overflowed) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        var nanos = overflowed ? (seconds < 0 ? Int64.min : Int64.max) : scaled &+ attoseconds / 1_000_000_000
        guard nanos != 0 else { return "0s" }
        var text = ""
        if nanos < 0 {
            text = "-"
            nanos = nanos == .min ? .max : -nanos
        }
        if nanos < 1_000_000_000 {
            for (suffix, size) in [("ms", Int64(1_000_000)), ("us", 1_000), ("ns", 1)] where nanos % size == 0 {
                return text + "\(nanos / size)\(suffix)"
            }
        }
        let hours = nanos / 3_600_000_000_000
        let minutes = nanos / 60_000_000_000 % 60
        let secondNanos = nanos % 60_000_000_000
        if hours > 0 { text += "\(hours)h" }
        if minutes > 0 { text += "\(minutes)m" }
        if secondNanos > 0 {
            let whole = secondNanos / 1_000_000_000
            var fraction = String(secondNanos % 1_000_000_000)
            if fraction != "0" {
                fraction = String(repeating: "0", count: 9 - fraction.count) + fraction
                while fraction.hasSuffix("0") { fraction.removeLast() }
                text += "\(whole).\(fraction)s"
            } else {
                text += "\(whole)s"
            }
        }
        return text
    }
}
