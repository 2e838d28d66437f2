import CorralJSON

/// `tasks/ID[@EXEC]/exit.json`: how a process ended, on disk before anyone is told.
public struct ExitRecord: StateFile, Equatable {
    public var status: UInt32
    public var exitedAtWallNanos: UInt64
    public var oomKilled: Bool
    public var signal: Int32?

    public init(status: UInt32, exitedAtWallNanos: UInt64, oomKilled: Bool, signal: Int32?) {
        self.status = status
        self.exitedAtWallNanos = exitedAtWallNanos
        self.oomKilled = oomKilled
        self.signal = signal
    }

    /// kubelet's reasons.
    public var reason: String {
        if oomKilled { return "OOMKilled" }
        return status == 0 ? "Completed" : "Error"
    }

    public var json: JSONObject {
        [
            "exit_status": .integer(Int64(status)), "exited_at": .integer(Int64(exitedAtWallNanos)),
            "oom_killed": .integer(oomKilled ? 1 : 0), "signal": .integer(Int64(signal ?? 0)),
        ]
    }

    public init?(json: JSONObject) {
        guard let status = json["exit_status"]?.int64, let exitedAt = json["exited_at"]?.int64 else { return nil }
        let signal = json.integer("signal")
        self.init(status: UInt32(clamping: status), exitedAtWallNanos: UInt64(clamping: exitedAt),
                  oomKilled: json.integer("oom_killed") != 0, signal: signal == 0 ? nil : Int32(clamping: signal))
    }
}
