import CorralJSON

/// A port the pod publishes on the host (CNI's `portMappings` capability).
public struct CNIPortMapping: Sendable, Equatable {
    public var hostPort: Int
    public var containerPort: Int
    /// "tcp", "udp" or "sctp", lower case as the portmap plugin expects.
    public var `protocol`: String
    /// Empty: every host address.
    public var hostIP: String

    public init(hostPort: Int, containerPort: Int, protocol: String = "tcp", hostIP: String = "") {
        self.hostPort = hostPort
        self.containerPort = containerPort
        self.protocol = `protocol`.lowercased()
        self.hostIP = hostIP
    }

    var json: JSONValue {
        var members: JSONObject = ["hostPort": .integer(Int64(hostPort)), "containerPort": .integer(Int64(containerPort)),
                                   "protocol": .string(`protocol`)]
        if !hostIP.isEmpty { members["hostIP"] = .string(hostIP) }
        return .object(members)
    }
}

/// The pod's resolver settings (CNI's `dns` capability).
public struct CNIDNS: Sendable, Equatable {
    public var servers: [String]
    public var searches: [String]
    public var options: [String]

    public init(servers: [String] = [], searches: [String] = [], options: [String] = []) {
        self.servers = servers
        self.searches = searches
        self.options = options
    }

    var json: JSONValue {
        ["servers": .array(servers.map(JSONValue.string)), "searches": .array(searches.map(JSONValue.string)),
         "options": .array(options.map(JSONValue.string))]
    }
}

/// Everything about one pod that the plugins are told: who it is, where its network
/// namespace is pinned, and the capability arguments they may ask for.
public struct CNIPodNetwork: Sendable, Equatable {
    /// The sandbox id; CNI_CONTAINERID and K8S_POD_INFRA_CONTAINER_ID.
    public var containerID: String
    /// The pinned netns bind mount; CNI_NETNS.
    public var netnsPath: String
    public var podName: String
    public var podNamespace: String
    public var podUID: String
    public var interfaceName: String
    /// Host ports to publish (empty is still passed, as containerd does, so portmap knows there are none).
    public var portMappings: [CNIPortMapping]
    public var dns: CNIDNS?
    /// Further capability arguments (e.g. "bandwidth", "io.kubernetes.cri.pod-annotations"),
    /// each passed only to plugins that declare the capability.
    public var extraCapabilities: JSONObject

    public init(containerID: String, netnsPath: String, podName: String, podNamespace: String, podUID: String,
                interfaceName: String = "eth0", portMappings: [CNIPortMapping] = [], dns: CNIDNS? = nil,
                extraCapabilities: JSONObject = [:]) {
        self.containerID = containerID
        self.netnsPath = netnsPath
        self.podName = podName
        self.podNamespace = podNamespace
        self.podUID = podUID
        self.interfaceName = interfaceName
        self.portMappings = portMappings
        self.dns = dns
        self.extraCapabilities = extraCapabilities
    }

    /// CNI_ARGS as containerd's CRI sets it; IgnoreUnknown keeps plugins that know none of
    /// these keys from refusing them.
    var cniArgs: String {
        ["IgnoreUnknown=1", "K8S_POD_NAMESPACE=\(podNamespace)", "K8S_POD_NAME=\(podName)",
         "K8S_POD_INFRA_CONTAINER_ID=\(containerID)", "K8S_POD_UID=\(podUID)"].joined(separator: ";")
    }

    /// Every capability argument the runtime can offer; each plugin gets the ones it declares.
    var capabilityArguments: JSONObject {
        var arguments = extraCapabilities
        arguments["portMappings"] = .array(portMappings.map(\.json))
        if let dns { arguments["dns"] = dns.json }
        return arguments
    }
}
