import BenchCRIClient
/// The memory of a runtime's processes at one instant, summed by role.
struct NodeMemory: Codable, Sendable {
    var daemon = ServerMemory.Usage()
    var shims = ServerMemory.Usage()
    var shimCount = 0
    var podProcesses = ServerMemory.Usage()
    var podProcessCount = 0

    var total: ServerMemory.Usage { daemon + shims + podProcesses }

    /// A process that ends before its turn is left out.
    static func read(_ processes: ServerProcesses) -> NodeMemory {
        var memory = NodeMemory()
        for (pid, role) in processes.members {
            guard let usage = ServerMemory.usage(pid: pid) else { continue }
            switch role {
            case .daemon: memory.daemon = usage
            case .shims:
                memory.shims = memory.shims + usage
                memory.shimCount += 1
            case .podProcesses:
                memory.podProcesses = memory.podProcesses + usage
                memory.podProcessCount += 1
            }
        }
        return memory
    }
}
