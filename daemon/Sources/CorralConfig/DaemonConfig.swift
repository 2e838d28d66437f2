/// corrald's configuration: `/etc/corral/config.toml` over these defaults, then command-line flags
/// (applied by the daemon, hence the mutable properties; call `validate()` after changing them).
/// `defaultText` documents every key.
public struct DaemonConfig: Sendable, Equatable {
    public static let defaultPath = "/etc/corral/config.toml"
    /// The levels swift-log knows, in its spelling.
    public static let logLevels = ["trace", "debug", "info", "notice", "warning", "error", "critical"]
    /// The parts of corrald whose level `[log_levels]` can set apart from `log_level`.
    public static let logSubsystems = ["cri", "shims", "images", "streaming"]

    public var root = "/var/lib/corral"
    public var state = "/run/corral"
    public var socket = "/run/corral/corral.sock"
    /// The CRI socket's permission bits, and its group (a name or gid; empty: root's).
    public var socketMode = 0o660
    public var socketGroup = ""
    public var logLevel = "info"
    public var logTarget = LogTarget.stderr
    /// By subsystem (one of `logSubsystems`); the rest log at `logLevel`.
    public var logLevels: [String: String] = [:]
    /// Empty: corral-shim next to corrald's own executable, else on PATH.
    public var shimPath = ""
    public var cgroupDriver = CgroupDriver.cgroupfs
    /// Never ask for an oom_score_adj below corrald's own (containerd's option of the same name):
    /// without CAP_SYS_RESOURCE a lower score fails every container.
    public var restrictOOMScoreAdj = true
    /// Leave every exec to the OCI runtime (`runc exec`) instead of the shim starting it.
    public var execViaRuntime = false
    /// The CRIU binary CheckpointContainer runs through the OCI runtime; empty: criu on PATH.
    public var criuPath = ""
    public var cni = CNI()
    public var runtimes = Runtimes.standard
    public var registry = Registry()
    public var streaming = Streaming()
    public var timeouts = Timeouts()
    public var metrics = Metrics()
    public var images = Images()

    public init() {}

    /// The handler used when kubelet names none: the runtime marked `default = true`, else the first.
    public var defaultRuntime: String { runtimes.defaultName ?? "runc" }

    public enum CgroupDriver: String, Sendable, CaseIterable {
        case cgroupfs, systemd
    }

    public enum LogTarget: String, Sendable, CaseIterable {
        /// Lines on stderr; under systemd (JOURNAL_STREAM) prefixed with their priority for journald.
        case stderr
        /// Entries sent to journald directly, with structured fields (POD_ID, CONTAINER_ID, METHOD…).
        case journal
    }

    public struct CNI: Sendable, Equatable {
        public var confDir = "/etc/cni/net.d"
        /// Searched in order for plugin binaries.
        public var binDirs = ["/opt/cni/bin", "/usr/lib/cni"]
        /// How many network configurations of `confDir` to load, in name order; 0: all.
        public var maxConfNum = 1
        public init() {}
    }

    public struct Runtime: Sendable, Equatable {
        /// A name looked up on PATH, or an absolute path.
        public var path: String
        /// TOML key `default`.
        public var isDefault = false
        /// The runtime's `--root` for the state of its containers, shared by every pod; empty: a
        /// directory of each pod's own in its shim's state dir.
        public var root = ""
        public init(path: String, isDefault: Bool = false, root: String = "") {
            self.path = path
            self.isDefault = isDefault
            self.root = root
        }
    }

    public struct Registry: Sendable, Equatable {
        public var maxConcurrentDownloads = 3
        /// A pull that makes no progress for this long is cancelled.
        public var progressTimeout = Duration.seconds(5 * 60)
        /// By registry host, e.g. "docker.io".
        public var mirrors: [String: Mirror] = [:]
        /// By registry host (with port when it has one), e.g. "127.0.0.1:5000".
        public var configs: [String: HostConfig] = [:]
        public init() {}

        public struct Mirror: Sendable, Equatable {
            /// Tried in order.
            public var endpoints: [String] = []
            /// Try the host itself after the endpoints.
            public var upstream = true
            public init(endpoints: [String] = [], upstream: Bool = true) {
                self.endpoints = endpoints
                self.upstream = upstream
            }
        }

        public struct HostConfig: Sendable, Equatable {
            public var insecureSkipVerify = false
            public var caFile = ""
            public var certFile = ""
            public var keyFile = ""
            public var username = ""
            public var password = ""
            /// base64 of "username:password", as in a docker config.json.
            public var auth = ""
            public var identityToken = ""
            /// Speak HTTP instead of HTTPS to this host.
            public var plainHTTP = false
            public init() {}
        }
    }

    public struct Streaming: Sendable, Equatable {
        public var address = "127.0.0.1"
        /// 0: a free port.
        public var port = 0
        public var tlsCert = ""
        public var tlsKey = ""
        /// An exec/attach/port-forward stream idle this long is closed; 0: never.
        public var streamIdleTimeout = Duration.seconds(4 * 3600)
        public init() {}
    }

    public struct Timeouts: Sendable, Equatable {
        /// The deadline of every call to a shim.
        public var shimCall = Duration.seconds(10)
        /// `corral-shim start` until it prints its address.
        public var shimStart = Duration.seconds(30)
        /// Connecting to a shim's socket.
        public var shimConnect = Duration.seconds(2)
        /// One CNI plugin run (ADD, CHECK, DEL) before the shim kills it and fails the step.
        public var cniPlugin = Duration.seconds(25)
        /// After SIGTERM, how long CRI calls in flight may take to finish before they are cancelled.
        public var shutdownGrace = Duration.seconds(10)
        public init() {}
    }

    public struct Metrics: Sendable, Equatable {
        /// "host:port" to serve Prometheus metrics on; empty: off.
        public var address = ""
        public init() {}
    }

    public struct Images: Sendable, Equatable {
        /// Reported as pinned over the CRI, so kubelet's image GC never removes them.
        public var pinned: [String] = []
        public init() {}
    }
}
