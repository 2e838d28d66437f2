import Foundation

/// One finding of `corralctl doctor`: what was checked, how it went, why, and what to do.
struct DoctorCheck: Equatable, Sendable {
    enum Status: String, Sendable, Comparable {
        case ok = "OK", warn = "WARN", fail = "FAIL"

        static func < (a: Status, b: Status) -> Bool { a.rank < b.rank }
        private var rank: Int { self == .ok ? 0 : self == .warn ? 1 : 2 }
    }

    var name: String
    var status: Status
    /// One line: what was found.
    var detail: String
    /// One line: what to do about it; empty when nothing needs doing.
    var fix: String = ""

    static func ok(_ name: String, _ detail: String) -> DoctorCheck {
        DoctorCheck(name: name, status: .ok, detail: detail)
    }

    static func warn(_ name: String, _ detail: String, fix: String) -> DoctorCheck {
        DoctorCheck(name: name, status: .warn, detail: detail, fix: fix)
    }

    static func fail(_ name: String, _ detail: String, fix: String) -> DoctorCheck {
        DoctorCheck(name: name, status: .fail, detail: detail, fix: fix)
    }
}

/// The checks printed for a person or a script.
enum DoctorReport {
    static func table(_ checks: [DoctorCheck]) -> String {
        let width = checks.map(\.name.count).max() ?? 0
        var lines: [String] = []
        for check in checks {
            let status = "[" + check.status.rawValue.padding(toLength: 4, withPad: " ", startingAt: 0) + "]"
            let name = check.name.padding(toLength: width, withPad: " ", startingAt: 0)
            lines.append("\(status) \(name)  \(check.detail)")
            if !check.fix.isEmpty {
                lines.append(String(repeating: " ", count: 7 + width + 2) + "fix: " + check.fix)
            }
        }
        let failed = checks.filter { $0.status == .fail }.count
        let warned = checks.filter { $0.status == .warn }.count
        lines.append("")
        lines.append("\(checks.count) checks: \(checks.count - failed - warned) ok, \(count(warned, "warning")), \(count(failed, "failure"))")
        return lines.joined(separator: "\n")
    }

    private static func count(_ n: Int, _ noun: String) -> String {
        "\(n) \(noun)\(n == 1 ? "" : "s")"
    }

    static func json(_ checks: [DoctorCheck]) throws -> String {
        try JSONOutput.text([
            "ok": !checks.contains { $0.status == .fail },
            "checks": checks.map { ["name": $0.name, "status": $0.status.rawValue, "detail": $0.detail, "fix": $0.fix] },
        ] as [String: Any])
    }

    /// 1 when anything failed: warnings are worth reading but do not stop a node from running pods.
    static func exitCode(_ checks: [DoctorCheck]) -> Int32 {
        checks.contains { $0.status == .fail } ? 1 : 0
    }
}
