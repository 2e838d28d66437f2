import Foundation

/// A runtime's processes on the node: its daemon, one shim per pod, and the per-pod processes
/// the shims hold (containerd's pause containers; corral's init of a PID namespace a pod's
/// containers share). The containers' own processes are the workload, not the runtime's, and
/// stay out: they are descendants of the shims too, so per-pod processes are picked by command line.
struct ServerProcesses: Sendable {
    enum Role: String, Codable, Sendable, CaseIterable {
        case daemon, shims, podProcesses
    }

    var members: [Int32: Role] = [:]

    func pids(_ role: Role) -> [Int32] { members.filter { $0.value == role }.map(\.key).sorted() }

    /// How to tell them: a pattern over the shims' command lines, and one over the command lines
    /// of the shims' descendants that are per-pod processes.
    struct Selector: Sendable {
        var shimPattern: String
        var podProcessPattern: String?

        /// Throws when a pattern is not a regular expression.
        func validate() throws {
            _ = try Regex(shimPattern)
            if let podProcessPattern { _ = try Regex(podProcessPattern) }
        }

        func find(daemon: Int32?, in table: ProcessTable) -> ServerProcesses {
            guard let shim = try? Regex(shimPattern) else { return ServerProcesses() }
            let podProcess = podProcessPattern.flatMap { try? Regex($0) }
            var found = ServerProcesses()
            // The bench's own command line holds the patterns, and so matches them.
            let me = getpid()
            let shims = table.processes.filter { $0.key != me && $0.value.commandLine.contains(shim) }.map(\.key)
            for pid in shims { found.members[pid] = .shims }
            if let podProcess {
                for pid in table.descendants(of: shims) where found.members[pid] == nil {
                    if table[pid]?.commandLine.contains(podProcess) == true { found.members[pid] = .podProcesses }
                }
            }
            if let daemon, table[daemon] != nil { found.members[daemon] = .daemon }
            return found
        }
    }
}
