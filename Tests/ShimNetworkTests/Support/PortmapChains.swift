import CorralSystem

/// The nat chains the portmap plugin shares between all pods. It creates them on first use
/// and never removes them (nor does containerd); a test that created them removes them again
/// once no pod's chain hangs off them, so the host's iptables look as they did before.
enum PortmapChains {
    private static let jumps = [
        ["PREROUTING", "-m", "addrtype", "--dst-type", "LOCAL", "-j", "CNI-HOSTPORT-DNAT"],
        ["OUTPUT", "-m", "addrtype", "--dst-type", "LOCAL", "-j", "CNI-HOSTPORT-DNAT"],
        ["POSTROUTING", "-m", "comment", "--comment", "CNI portfwd requiring masquerade", "-j", "CNI-HOSTPORT-MASQ"],
    ]
    private static let chains = ["CNI-HOSTPORT-DNAT", "CNI-HOSTPORT-MASQ", "CNI-HOSTPORT-SETMARK"]

    /// Runs `body`; if the shared chains did not exist before, removes them after it.
    static func restoringAfterwards(_ body: () async throws -> Void) async throws {
        let existed = try await exist()
        do {
            try await body()
        } catch {
            if !existed { try? await removeIfUnused() }
            throw error
        }
        if !existed { try await removeIfUnused() }
    }

    static func exist() async throws -> Bool {
        try await Shell.iptablesNAT().contains("-N CNI-HOSTPORT-DNAT")
    }

    static func removeIfUnused() async throws {
        guard !(try await Shell.iptablesNAT().contains("-N CNI-DN-")) else { return }
        for jump in jumps { _ = try await iptables(["-D"] + jump) }
        for chain in chains {
            _ = try await iptables(["-F", chain])
            _ = try await iptables(["-X", chain])
        }
    }

    private static func iptables(_ arguments: [String]) async throws -> CommandResult {
        try await Command.run("/usr/sbin/iptables", arguments: ["-t", "nat"] + arguments)
    }
}
