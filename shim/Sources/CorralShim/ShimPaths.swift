import CorralSystem

/// Where one shim keeps its files. The socket sits in a short directory of its own, named by a
/// hash of the state dir, so its path fits a sockaddr_un however deep the state dir is.
public struct ShimPaths: Sendable, Equatable {
    public let stateDir: String
    public let socketPath: String

    public init(stateDir: String, socketDir: String) {
        self.stateDir = stateDir
        self.socketPath = socketDir + "/" + ShortHash.hex(stateDir) + ".sock"
    }

    public var address: String { "unix://" + socketPath }
    public var bootstrap: String { stateDir + "/bootstrap.json" }
    public var log: String { stateDir + "/shim.log" }
    public var startLock: String { stateDir + "/start.lock" }
    public var namespaces: String { stateDir + "/ns" }

    /// Beside the shim's own socket, so it is as short: runc refuses a long console socket path.
    public func consoleSocket(for task: String) -> String {
        String(socketPath.dropLast(".sock".count)) + "-" + String(ShortHash.hex(task).prefix(8)) + ".con"
    }
}

/// What `start` leaves for the daemon: how to reach the shim that serves this pod.
public struct Bootstrap: Sendable, Equatable {
    public var protocolVersion: UInt32
    public var address: String
    public var pid: Int32

    public init(protocolVersion: UInt32 = BuildInfo.shimProtocolVersion, address: String, pid: Int32) {
        self.protocolVersion = protocolVersion
        self.address = address
        self.pid = pid
    }

    public var json: String {
        JSONText.object([
            ("version", .integer(Int64(protocolVersion))),
            ("address", .string(address)),
            ("pid", .integer(Int64(pid))),
        ])
    }

    public init?(json: String) {
        guard let object = JSONText.parseObject(json),
              case .integer(let version)? = object["version"],
              case .string(let address)? = object["address"],
              case .integer(let pid)? = object["pid"] else { return nil }
        self.init(protocolVersion: UInt32(clamping: version), address: address, pid: Int32(clamping: pid))
    }

    public func write(to path: String) throws(SystemError) {
        try FileSystem.writeAtomically(path, Array(json.utf8), mode: 0o600)
    }

    public static func read(from path: String) -> Bootstrap? {
        (try? FileSystem.readText(path)).flatMap { Bootstrap(json: $0) }
    }
}
