import CorralSystem
import ShimAPI
import ShimContract
import SwiftProtobuf

/// One process the shim runs: a container's init (empty execID) or an exec in it.
struct TaskRecord: Sendable {
    var id: String
    var execID: String = ""
    var bundle: String
    var runtimeBinary: String
    /// The runtime's `--root`; empty: the pod's.
    var runtimeRoot = ""
    /// The pod's cgroups are systemd's (see `OCIRuntime.systemdCgroup`).
    var systemdCgroup = false
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

extension Google_Protobuf_Timestamp {
    init?(wallNanosIfSet nanos: UInt64) {
        guard nanos > 0 else { return nil }
        self.init(wallNanos: nanos)
    }
}

