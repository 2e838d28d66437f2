import CorralSystem
import ShimAPI
import SwiftProtobuf

/// One process the shim runs: a container's init (empty execID) or an exec in it.
struct TaskRecord: Sendable {
    var id: String
    var execID: String = ""
    var bundle: String
    var runtimeBinary: String
    var pid: Int32 = 0
    var status: Corral_Shim_V1_TaskStatus = .created
    var terminal = false
    var stdin = false
    var logPath = ""
    var createdAtWallNanos: UInt64 = Clock.wallNanos
    var startedAtWallNanos: UInt64 = 0
    var exit: ExitRecord?

    var key: TaskKey { TaskKey(id: id, execID: execID) }
}

struct TaskKey: Hashable, Sendable, CustomStringConvertible {
    var id: String
    var execID: String
    var description: String { execID.isEmpty ? id : "\(id)/\(execID)" }
}

/// How a process ended, as persisted before anyone is told.
struct ExitRecord: Sendable, Equatable {
    var status: UInt32
    var exitedAtWallNanos: UInt64
    var oomKilled: Bool
    var signal: Int32?

    /// kubelet's reasons.
    var reason: String {
        if oomKilled { return "OOMKilled" }
        return status == 0 ? "Completed" : "Error"
    }

    var json: String {
        JSONText.object([
            ("exit_status", .integer(Int64(status))),
            ("exited_at", .integer(Int64(exitedAtWallNanos))),
            ("oom_killed", .integer(oomKilled ? 1 : 0)),
            ("signal", .integer(Int64(signal ?? 0))),
        ])
    }

    init(status: UInt32, exitedAtWallNanos: UInt64, oomKilled: Bool, signal: Int32?) {
        self.status = status
        self.exitedAtWallNanos = exitedAtWallNanos
        self.oomKilled = oomKilled
        self.signal = signal
    }

    init?(json: String) {
        guard let object = JSONText.parseObject(json),
              case .integer(let status)? = object["exit_status"],
              case .integer(let exitedAt)? = object["exited_at"] else { return nil }
        var oom: Int64 = 0
        if case .integer(let value)? = object["oom_killed"] { oom = value }
        var signal: Int64 = 0
        if case .integer(let value)? = object["signal"] { signal = value }
        self.init(status: UInt32(clamping: status), exitedAtWallNanos: UInt64(clamping: exitedAt),
                  oomKilled: oom != 0, signal: signal == 0 ? nil : Int32(clamping: signal))
    }
}

extension Google_Protobuf_Timestamp {
    init?(wallNanosIfSet nanos: UInt64) {
        guard nanos > 0 else { return nil }
        self.init(wallNanos: nanos)
    }
}

