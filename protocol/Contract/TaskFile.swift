import CorralJSON

/// `tasks/ID[@EXEC]/task.json`: a container or an exec as `corral-shim delete` finds it after its
/// shim is gone: what to kill, what runc knows it as, what to unmount.
public struct TaskFile: StateFile, Equatable {
    public var id: String
    public var execID: String
    public var pid: Int32
    public var bundle: String
    public var runtime: String
    /// The runtime's `--root` for the task; empty: the pod's (`ShimPaths.runtimeRoot`).
    public var runtimeRoot: String
    public var rootfsMounted: Bool
    /// The runtime ran with `--systemd-cgroup` (the container's cgroup is a scope systemd owns),
    /// and must again to delete it.
    public var systemdCgroup: Bool

    public init(id: String, execID: String = "", pid: Int32 = 0, bundle: String = "", runtime: String = "",
                runtimeRoot: String = "", rootfsMounted: Bool = false, systemdCgroup: Bool = false) {
        self.id = id
        self.execID = execID
        self.pid = pid
        self.bundle = bundle
        self.runtime = runtime
        self.runtimeRoot = runtimeRoot
        self.rootfsMounted = rootfsMounted
        self.systemdCgroup = systemdCgroup
    }

    public var json: JSONObject {
        [
            "id": .string(id), "exec_id": .string(execID), "pid": .integer(Int64(pid)), "bundle": .string(bundle),
            "runtime": .string(runtime), "runtime_root": .string(runtimeRoot), "rootfs_mounted": .integer(rootfsMounted ? 1 : 0),
            "systemd_cgroup": .integer(systemdCgroup ? 1 : 0),
        ]
    }

    public init?(json: JSONObject) {
        guard let id = json["id"]?.string else { return nil }
        self.init(id: id, execID: json.text("exec_id"), pid: Int32(clamping: json.integer("pid")),
                  bundle: json.text("bundle"), runtime: json.text("runtime"), runtimeRoot: json.text("runtime_root"),
                  rootfsMounted: json.integer("rootfs_mounted") == 1, systemdCgroup: json.integer("systemd_cgroup") == 1)
    }
}
