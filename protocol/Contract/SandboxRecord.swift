import CorralJSON

/// `sandbox.json`: what `corral-shim delete` needs to clean up after a shim that is gone (its
/// namespaces, its pod init, its network as CNI set it up).
public struct SandboxRecord: StateFile, Equatable {
    public var id: String
    /// The shim's own state of the sandbox (Corral_Shim_V1_SandboxState's raw value).
    public var state: Int
    public var networkNamespace: String
    public var ipcNamespace: String
    public var utsNamespace: String
    /// The pod's own user namespace; empty for a pod in the host's.
    public var userNamespace: String
    public var initPID: Int32
    /// Each network the pod joined, in order (eth0 first).
    public var networks: [Network]
    public var cniBinDirectories: [String]
    public var podName: String
    public var podNamespace: String
    public var podUID: String
    public var cgroupParent: String

    /// One CNI network of the pod: its list and ADD's result, as JSON text (the result empty
    /// until ADD answered), and the interface it made.
    public struct Network: Sendable, Equatable {
        public var config: String
        public var result: String
        public var interfaceName: String

        public init(config: String, result: String = "", interfaceName: String = "eth0") {
            self.config = config
            self.result = result
            self.interfaceName = interfaceName
        }
    }

    public init(id: String, state: Int = 0, networkNamespace: String = "", ipcNamespace: String = "",
                utsNamespace: String = "", userNamespace: String = "", initPID: Int32 = 0, networks: [Network] = [],
                cniBinDirectories: [String] = [], podName: String = "", podNamespace: String = "", podUID: String = "",
                cgroupParent: String = "") {
        self.id = id
        self.state = state
        self.networkNamespace = networkNamespace
        self.ipcNamespace = ipcNamespace
        self.utsNamespace = utsNamespace
        self.userNamespace = userNamespace
        self.initPID = initPID
        self.networks = networks
        self.cniBinDirectories = cniBinDirectories
        self.podName = podName
        self.podNamespace = podNamespace
        self.podUID = podUID
        self.cgroupParent = cgroupParent
    }

    /// The first network is also written as `cni_config` and `cni_result`, the keys of the
    /// single network a record held before `cni_networks`.
    public var json: JSONObject {
        [
            "id": .string(id), "state": .integer(Int64(state)), "netns": .string(networkNamespace),
            "ipc": .string(ipcNamespace), "uts": .string(utsNamespace), "userns": .string(userNamespace), "init_pid": .integer(Int64(initPID)),
            "cni_config": .string(networks.first?.config ?? ""), "cni_result": .string(networks.first?.result ?? ""),
            "cni_networks": .array(networks.map { network in
                ["config": .string(network.config), "result": .string(network.result), "ifname": .string(network.interfaceName)]
            }),
            "cni_bin_dirs": .string(cniBinDirectories.joined(separator: ":")),
            "pod_name": .string(podName), "pod_namespace": .string(podNamespace), "pod_uid": .string(podUID),
            "cgroup_parent": .string(cgroupParent),
        ]
    }

    public init?(json: JSONObject) {
        guard let id = json["id"]?.string else { return nil }
        var networks: [Network] = []
        if let list = json["cni_networks"]?.array {
            networks = list.compactMap { entry in
                entry["config"]?.string.map { Network(config: $0, result: entry["result"]?.string ?? "",
                                                      interfaceName: entry["ifname"]?.string ?? "eth0") }
            }
        } else if !json.text("cni_config").isEmpty {
            networks = [Network(config: json.text("cni_config"), result: json.text("cni_result"))]
        }
        self.init(id: id, state: Int(clamping: json.integer("state")), networkNamespace: json.text("netns"),
                  ipcNamespace: json.text("ipc"), utsNamespace: json.text("uts"), userNamespace: json.text("userns"),
                  initPID: Int32(clamping: json.integer("init_pid")), networks: networks,
                  cniBinDirectories: json.text("cni_bin_dirs").split(separator: ":").map(String.init),
                  podName: json.text("pod_name"), podNamespace: json.text("pod_namespace"), podUID: json.text("pod_uid"),
                  cgroupParent: json.text("cgroup_parent"))
    }
}
