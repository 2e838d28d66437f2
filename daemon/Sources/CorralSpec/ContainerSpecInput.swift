import CRIAPI
import OCISpec

/// Everything the generator needs to turn one CreateContainer request into a runtime spec.
/// Nothing here is looked up by the generator itself except host paths named in the request
/// (mounts, devices, seccomp profiles) and, for privileged containers, /dev.
public struct ContainerSpecInput: Sendable {
    public var containerID: String
    public var sandboxID: String
    public var config: Runtime_V1_ContainerConfig
    public var sandboxConfig: Runtime_V1_PodSandboxConfig
    /// The image's config; its `config` part holds entrypoint, cmd, env, user and working dir.
    public var image: ImageConfiguration
    public var imageName: String
    public var namespaces: PodNamespacePaths
    /// `/proc/PID/ns/pid` of the target container when the PID namespace mode is TARGET.
    public var targetPIDNamespace: String
    public var podFiles: PodFileMounts
    public var cgroupsPath: String
    /// Reads a file of the image's root filesystem by its absolute path in the image
    /// (`/etc/passwd`, `/etc/group`); nil when the image has none.
    public var readImageFile: @Sendable (String) -> [UInt8]?
    /// The daemon's own oom_score_adj: no container asks for less (containerd's restrict_oom_score_adj).
    public var daemonOOMScoreAdj: Int
    public var hostHasAppArmor: Bool
    /// What the host can grant; detected once by the daemon.
    public var host: HostFacts
    /// Process limits every container starts with. containerd's default spec has NOFILE 1024;
    /// its CRI plugin clears them so containers inherit the runtime's own limits: pass [] for that.
    public var rlimits: [POSIXRlimit]

    public init(containerID: String, sandboxID: String, config: Runtime_V1_ContainerConfig,
                sandboxConfig: Runtime_V1_PodSandboxConfig, image: ImageConfiguration, imageName: String,
                namespaces: PodNamespacePaths, targetPIDNamespace: String = "", podFiles: PodFileMounts,
                cgroupsPath: String, readImageFile: @escaping @Sendable (String) -> [UInt8]?,
                daemonOOMScoreAdj: Int = 0, hostHasAppArmor: Bool = false, host: HostFacts = .current,
                rlimits: [POSIXRlimit] = ContainerDefaults.rlimits) {
        self.containerID = containerID
        self.sandboxID = sandboxID
        self.config = config
        self.sandboxConfig = sandboxConfig
        self.image = image
        self.imageName = imageName
        self.namespaces = namespaces
        self.targetPIDNamespace = targetPIDNamespace
        self.podFiles = podFiles
        self.cgroupsPath = cgroupsPath
        self.readImageFile = readImageFile
        self.daemonOOMScoreAdj = daemonOOMScoreAdj
        self.hostHasAppArmor = hostHasAppArmor
        self.host = host
        self.rlimits = rlimits
    }
}

/// Host paths of the pod's pinned namespaces. An empty path means the pod has none of its own:
/// with the pod's mode NODE the container shares the host's, otherwise it gets a new one.
public struct PodNamespacePaths: Sendable, Equatable {
    public var network: String
    public var ipc: String
    public var uts: String
    public var pid: String
    /// The pod's own user namespace (hostUsers: false); its maps are the pod config's.
    public var user: String

    public init(network: String = "", ipc: String = "", uts: String = "", pid: String = "", user: String = "") {
        self.network = network
        self.ipc = ipc
        self.uts = uts
        self.pid = pid
        self.user = user
    }
}

/// Host paths of the files every container of the pod sees; empty: not mounted.
public struct PodFileMounts: Sendable, Equatable {
    public var hosts: String
    public var resolvConf: String
    public var hostname: String
    /// A directory the daemon mounted as tmpfs, shared as /dev/shm by the pod's containers.
    public var shm: String

    public init(hosts: String = "", resolvConf: String = "", hostname: String = "", shm: String = "") {
        self.hosts = hosts
        self.resolvConf = resolvConf
        self.hostname = hostname
        self.shm = shm
    }
}
