/// Kernel settings a working node needs beyond containers themselves.
enum NodeChecks {
    static let capSysResource = 24

    /// `status`: /proc/self/status; `ownScore`: /proc/self/oom_score_adj; `restrict`: the config's
    /// restrict_oom_score_adj.
    static func oomScoreAdj(status: String, ownScore: String?, restrict: Bool) -> DoctorCheck {
        guard let bounding = ProcStatus.capabilities("CapBnd", in: status) else {
            return .warn("oom_score_adj", "no CapBnd in /proc/self/status: cannot tell whether scores can be lowered",
                         fix: "keep restrict_oom_score_adj = true")
        }
        if bounding & (1 << capSysResource) != 0 {
            return .ok("oom_score_adj", "CAP_SYS_RESOURCE is in the bounding set: kubelet's scores (-997 for guaranteed pods) apply as given")
        }
        let score = ownScore ?? "?"
        let why = "CAP_SYS_RESOURCE (bit 24) is missing from the bounding set (CapBnd \(ProcStatus.field("CapBnd", in: status) ?? "")): no process here can lower its oom_score_adj"
        if restrict {
            return .warn("oom_score_adj", "\(why); restrict_oom_score_adj (on) raises any lower score to corrald's own (corralctl runs at \(score)), so pods start but guaranteed pods lose their -997 protection from the OOM killer",
                         fix: "grant CAP_SYS_RESOURCE to the node (e.g. run its container with --cap-add SYS_RESOURCE); keep restrict_oom_score_adj = true until then")
        }
        return .fail("oom_score_adj", "\(why), and restrict_oom_score_adj is off: every container kubelet gives a score below \(score) fails to start",
                     fix: "set restrict_oom_score_adj = true in the config (containerd's option of the same name), or grant CAP_SYS_RESOURCE")
    }

    /// `value`: /proc/sys/net/ipv4/ip_forward, nil when it could not be read.
    static func ipForward(_ value: String?) -> DoctorCheck {
        switch value?.trimmingWhitespace {
        case "1":
            return .ok("ip_forward", "net.ipv4.ip_forward = 1: pod traffic is routed off the node")
        case nil:
            return .warn("ip_forward", "/proc/sys/net/ipv4/ip_forward is unreadable: no IPv4 forwarding to rely on",
                         fix: "check that IPv4 networking is enabled")
        case let other?:
            return .warn("ip_forward", "net.ipv4.ip_forward = \(other): pods reach the node but nothing beyond it, nor services on other nodes",
                         fix: "sysctl -w net.ipv4.ip_forward=1, and persist it: echo net.ipv4.ip_forward=1 > /etc/sysctl.d/99-corral.conf")
        }
    }
}

extension String {
    var trimmingWhitespace: String {
        String(drop { $0.isWhitespace }.reversed().drop { $0.isWhitespace }.reversed())
    }
}
