import CRIAPI
import CorralSystem

extension CRIService {
    /// The interface kubelet takes for a pod's network (containerd's and kubelet's default).
    static let defaultInterface = "eth0"

    /// The counters of the pod's own interfaces, read in its network namespace (loopback left
    /// out, as cAdvisor does); none for a pod on the host's network, whose interfaces are the
    /// node's. A failure is logged and reads as no interfaces: the rest of a pod's stats and
    /// metrics stand without its network's.
    func interfaceCounters(of sandbox: SandboxEntry) async -> [InterfaceCounters] {
        guard !sandbox.hostNetwork, !sandbox.namespaces.network.isEmpty else { return [] }
        let counters = await bestEffort("reading the network counters of a pod", ["pod": "\(sandbox.id)"]) {
            try Namespaces.interfaceCounters(inNetworkNamespace: sandbox.namespaces.network)
        }
        return (counters ?? []).filter { $0.name != "lo" }
    }

    /// PodSandboxStats' network: eth0 as the default interface, every interface in the list.
    static func networkUsage(_ interfaces: [InterfaceCounters], at time: Int64) -> Runtime_V1_NetworkUsage {
        .with {
            $0.timestamp = time
            if let first = interfaces.first(where: { $0.name == defaultInterface }) { $0.defaultInterface = usage(first) }
            $0.interfaces = interfaces.map(usage)
        }
    }

    private static func usage(_ counters: InterfaceCounters) -> Runtime_V1_NetworkInterfaceUsage {
        .with {
            $0.name = counters.name
            $0.rxBytes.value = counters.receivedBytes
            $0.rxErrors.value = counters.receiveErrors
            $0.txBytes.value = counters.transmittedBytes
            $0.txErrors.value = counters.transmitErrors
        }
    }
}
