import Foundation

/// The words crictl uses for ages and sizes (docker's go-units), so both tools read alike.
enum Human {
    /// "3 minutes ago" for a CRI timestamp (nanoseconds since the epoch).
    static func age(createdAtNanos: Int64, nowNanos: Int64) -> String {
        duration(seconds: Double(max(0, nowNanos - createdAtNanos)) / 1e9) + " ago"
    }

    /// go-units' HumanDuration: coarse on purpose, one unit, rounded down.
    static func duration(seconds: Double) -> String {
        let whole = Int(seconds)
        if whole < 1 { return "Less than a second" }
        if whole == 1 { return "1 second" }
        if whole < 60 { return "\(whole) seconds" }
        let minutes = whole / 60
        if minutes == 1 { return "About a minute" }
        if minutes < 60 { return "\(minutes) minutes" }
        let hours = Int(seconds / 3600 + 0.5)
        if hours == 1 { return "About an hour" }
        if hours < 48 { return "\(hours) hours" }
        if hours < 24 * 7 * 2 { return "\(hours / 24) days" }
        if hours < 24 * 30 * 2 { return "\(hours / 24 / 7) weeks" }
        if hours < 24 * 365 * 2 { return "\(hours / 24 / 30) months" }
        return "\(Int(seconds / 3600) / 24 / 365) years"
    }

    /// go-units' HumanSizeWithPrecision(size, 3): decimal units, three significant digits ("4.27MB").
    static func size(_ bytes: UInt64) -> String {
        let units = ["B", "kB", "MB", "GB", "TB", "PB", "EB"]
        var value = Double(bytes)
        var unit = 0
        while value >= 1000 && unit < units.count - 1 {
            value /= 1000
            unit += 1
        }
        return String(format: "%.3g", value) + units[unit]
    }
}

/// Ids as crictl shows them: without the digest algorithm, 13 characters.
enum ShortID {
    static let length = 13

    static func truncate(_ id: String, keepWhole: Bool = false) -> String {
        var hex = Substring(id)
        if let colon = hex.firstIndex(of: ":") { hex = hex[hex.index(after: colon)...] }
        return keepWhole ? String(hex) : String(hex.prefix(length))
    }
}

/// An image reference split into repository and tag at the last colon after the last slash
/// (a registry's port is not a tag).
enum ImageName {
    static func split(_ reference: String) -> (repository: String, tag: String) {
        let nameStart = reference.lastIndex(of: "/").map { reference.index(after: $0) } ?? reference.startIndex
        guard let colon = reference[nameStart...].lastIndex(of: ":") else { return (reference, "<none>") }
        return (String(reference[..<colon]), String(reference[reference.index(after: colon)...]))
    }

    /// `docker.io/library/busybox@sha256:…` → `docker.io/library/busybox`.
    static func repository(ofDigest reference: String) -> String {
        reference.firstIndex(of: "@").map { String(reference[..<$0]) } ?? reference
    }
}

