/// Issue 17's targets for a full node, each against containerd in the same run but the restart,
/// which has a bound of its own.
enum NodeTargets {
    static var all: [Target<NodeReport>] {
        [
            Target(what: "burst: every pod running", limit: .ratio(0.5)) { $0.burst.seconds },
            Target(what: "steady state: CPU, daemon + per-pod processes", limit: .ratio(0.5)) {
                $0.steady.cpu.totalPerMinute
            },
            Target(what: "memory at full node, Pss", limit: .ratio(0.35)) { Double($0.memory.total.pssKiB) },
            Target(what: "memory at full node, Rss", limit: .ratio(0.35)) { Double($0.memory.total.rssKiB) },
            Target(what: "restart: kill -9 until reconciled", limit: .below(1, unit: "s")) {
                $0.restart?.reconciledSeconds
            },
            Target(what: "ListContainers at 200: server CPU a call", limit: .ratio(0.5)) {
                $0.list.serverMicrosPerCall.map(Double.init)
            },
        ]
    }
}
