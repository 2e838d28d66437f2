/// What the CRI service needs of the configuration, resolved once at start-up.
struct ServiceSettings: Sendable {
    struct Runtime: Sendable, Equatable {
        var name: String
        var path: String
        /// The runtime's `--root`, shared by every pod; empty: each pod's own (the shim's default).
        var root = ""
    }

    var root = "/var/lib/corral"
    var state = "/run/corral"
    var cniConfDir = "/etc/cni/net.d"
    var cniBinDirs = ["/opt/cni/bin", "/usr/lib/cni"]
    /// How many of the conf dir's networks a pod joins (`max_conf_num`; its 0, all, is UInt32.max).
    var cniMaxNetworks: UInt32 = 1
    /// In the order of the config; `defaultRuntime` names the one an empty handler picks.
    var runtimes = [Runtime(name: "runc", path: "runc"), Runtime(name: "crun", path: "crun")]
    var defaultRuntime = "runc"
    var systemdCgroup = false
    var timeouts = ShimTimeouts()
    /// Never ask for a lower oom_score_adj than the daemon's own (containerd's restrict_oom_score_adj).
    var daemonOOMScoreAdj = 0
    var streamingAddress = "127.0.0.1"
    /// The CRIU binary checkpoints run with; empty: criu on the shim's PATH.
    var criuPath = ""

    func runtime(forHandler handler: String) throws(CRIError) -> Runtime {
        let name = handler.isEmpty ? defaultRuntime : handler
        guard let runtime = runtimes.first(where: { $0.name == name }) else {
            let known = runtimes.map(\.name).joined(separator: ", ")
            throw .invalidArgument("runtime_handler \"\(handler)\" is not configured (known: \(known))")
        }
        return runtime
    }

    var sandboxesDir: String { state + "/sandboxes" }
    var containersDir: String { state + "/containers" }
}
