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
    public var initPID: Int32
    /// The CNI network list and ADD's result, as JSON text (empty without a network).
    public var cniConfig: String
    public var cniResult: String
    public var cniBinDirectories: [String]
    public var podName: String
    public var podNamespace: String
    public var podUID: String
    public var cgroupParent: String

    public init(id: String, state: Int = 0, networkNamespace: String = "", ipcNamespace: String = "",
                utsNamespace: String = "", initPID: Int32 = 0, cniConfig: String = "", cniResult: String = "",
                cniBinDirectories: [String] = [], podName: String = "", podNamespace: String = "", podUID: String = "",
                cgroupParent: String = "") {
        self.id = id
        self.state = state
        self.networkNamespace = networkNamespace
        self.ipcNamespace = ipcNamespace
        self.utsNamespace = utsNamespace
        self.initPID = initPID
        self.cniConfig = cniConfig
        self.cniResult = cniResult
        self.cniBinDirectories = cniBinDirectories
        self.podName = podName
        self.podNamespace = podNamespace
        self.podUID = podUID
        self.cgroupParent = cgroupParent
    }

    public var json: JSONObject {
        [
            "id": .string(id), "state": .integer(Int64(state)), "netns": .string(networkNamespace),
            "ipc": .string(ipcNamespace), "uts": .string(utsNamespace), "init_pid": .integer(Int64(initPID)),
            "cni_config": .string(cniConfig), "cni_result": .string(cniResult),
            "cni_bin_dirs": .string(cniBinDirectories.joined(separator: ":")),
            "pod_name": .string(podName), "pod_namespace": .string(podNamespace), "pod_uid": .string(podUID),
            "cgroup_parent": .string(cgroupParent),
        ]
    }

    public init?(json: JSONObject) {
        guard let id = json["id"]?.string else { return nil }
        self.init(id: id, state: Int(clamping: json.integer("state")), networkNamespace: json.text("netns"),
                  ipcNamespace: json.text("ipc"), utsNamespace: json.text("uts"),
                  initPID: Int32(clamping: json.integer("init_pid")), cniConfig: json.text("cni_config"),
                  cniResult: json.text("cni_result"),
                  cniBinDirectories: json.text("cni_bin_dirs").split(separator: ":").map(String.init),
                  podName: json.text("pod_name"), podNamespace: json.text("pod_namespace"), podUID: json.text("pod_uid"),
                  cgroupParent: json.text("cgroup_parent"))
    }
}
