import CorralSystem

/// The host tools the tests inspect the machine with.
enum Shell {
    @discardableResult
    static func ip(_ arguments: String...) async throws -> CommandResult {
        try await Command.run("/usr/sbin/ip", arguments: arguments)
    }

    static func iptablesNAT() async throws -> String {
        try await Command.run("/usr/sbin/iptables", arguments: ["-t", "nat", "-S"]).stdoutText
    }
}

extension CommandResult {
    var succeeded: Bool { status == .exited(0) }
    var lines: [String] { stdoutText.split(separator: "\n").map(String.init) }
}
