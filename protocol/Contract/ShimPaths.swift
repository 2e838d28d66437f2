import CorralSystem

/// Where one shim keeps its files: what the shim writes there and what corrald, corralctl and
/// `corral-shim delete` read. The socket sits in a short directory of its own, named by a hash
/// of the state dir, so its path fits a sockaddr_un however deep the state dir is.
public struct ShimPaths: Sendable, Equatable {
    public let stateDir: String
    public let socketPath: String

    public init(stateDir: String, socketDir: String) {
        self.stateDir = stateDir
        self.socketPath = socketDir + "/" + ShortHash.hex(stateDir) + ".sock"
    }

    public var address: String { "unix://" + socketPath }
    public var bootstrap: String { stateDir + "/bootstrap.json" }
    public var sandbox: String { stateDir + "/sandbox.json" }
    public var log: String { stateDir + "/shim.log" }
    public var startLock: String { stateDir + "/start.lock" }
    public var namespaces: String { stateDir + "/ns" }
    public var tasks: String { stateDir + "/tasks" }
    /// runc's `--root`: one per pod, so pods never see each other's containers.
    public var runtimeRoot: String { stateDir + "/runtime" }

    /// A task's dir: a container's (`id`) or an exec's (`id@exec`).
    public func task(_ id: String, exec: String = "") -> String {
        tasks + "/" + (exec.isEmpty ? id : id + "@" + exec)
    }

    /// Beside the shim's own socket, so it is as short: runc refuses a long console socket path.
    public func consoleSocket(for task: String) -> String {
        String(socketPath.dropLast(".sock".count)) + "-" + String(ShortHash.hex(task).prefix(8)) + ".con"
    }
}
