import CorralJSON
import CorralSystem
import ShimNetwork

#if canImport(Glibc)
import Glibc
#endif

/// `corral-shim delete`: clean up after a shim that died or must go, from what it persisted:
/// kill what runs, delete the containers, CNI DEL, unmount namespaces and rootfs, remove the
/// state dir. Idempotent: whatever is already gone is skipped.
enum DeleteCommand {
    static func run(_ options: ShimOptions) async -> Int32 {
        let paths = ShimPaths(stateDir: options.stateDir, socketDir: options.socketDir)
        if let bootstrap = Bootstrap.read(from: paths.bootstrap), bootstrap.pid > 1, isShim(pid: bootstrap.pid) {
            kill(bootstrap.pid, SIGKILL)
            await waitGone(bootstrap.pid)
        }
        let sandbox = (try? FileSystem.readText(paths.stateDir + "/sandbox.json")).flatMap(JSONText.parseObject) ?? [:]
        await deleteTasks(stateDir: paths.stateDir)
        await deleteNetwork(sandbox, id: options.id)
        for key in ["netns", "ipc", "uts"] {
            if case .string(let path)? = sandbox[key], !path.isEmpty { Namespaces.release(path) }
        }
        if case .integer(let initPID)? = sandbox["init_pid"], initPID > 1, comm(Int32(initPID)) == "corral-init" {
            kill(Int32(initPID), SIGKILL)
        }
        FileSystem.remove(paths.socketPath)
        FileSystem.removeTree(paths.stateDir)
        return 0
    }

    private static func deleteTasks(stateDir: String) async {
        let tasksDir = stateDir + "/tasks"
        for name in (try? FileSystem.listDirectory(tasksDir)) ?? [] {
            guard let task = (try? FileSystem.readText(tasksDir + "/" + name + "/task.json")).flatMap(JSONText.parseObject),
                  case .string(let id)? = task["id"] else { continue }
            if case .integer(let pid)? = task["pid"], pid > 1 { kill(Int32(pid), SIGKILL) }
            guard case .string(let execID)? = task["exec_id"], execID.isEmpty else { continue }
            var runtime = "runc"
            if case .string(let binary)? = task["runtime"], !binary.isEmpty { runtime = binary }
            // Removes the container's state and cgroup; it may already be gone.
            _ = try? await Command.run(runtime, arguments: ["--root", stateDir + "/runtime", "delete", "--force", id])
            if case .integer(1)? = task["rootfs_mounted"], case .string(let bundle)? = task["bundle"] {
                Mounts.unmount(bundle + "/rootfs")
            }
        }
    }

    private static func deleteNetwork(_ sandbox: [String: JSONText.Value], id: String) async {
        guard case .string(let config)? = sandbox["cni_config"], !config.isEmpty,
              case .string(let netns)? = sandbox["netns"], !netns.isEmpty,
              let json = try? JSONValue(parsing: config), let list = try? CNINetworkList(json: json) else { return }
        var result: CNIResult?
        if case .string(let raw)? = sandbox["cni_result"], !raw.isEmpty, let value = try? JSONValue(parsing: raw) {
            result = try? CNIResult(json: value)
        }
        func text(_ key: String) -> String {
            if case .string(let value)? = sandbox[key] { return value }
            return ""
        }
        let dirs = text("cni_bin_dirs").split(separator: ":").map(String.init)
        let client = CNIClient(binDirectories: dirs.isEmpty ? CNIClient.defaultBinDirectories : dirs)
        let pod = CNIPodNetwork(containerID: id, netnsPath: netns, podName: text("pod_name"),
                                podNamespace: text("pod_namespace"), podUID: text("pod_uid"))
        try? await client.tearDown(network: list, pod: pod, result: result)
    }

    private static func waitGone(_ pid: Int32) async {
        for _ in 0..<200 where ProcessControl.isAlive(pid) && comm(pid) != nil && !isZombie(pid) {
            try? await Task.sleep(for: .milliseconds(10))
        }
    }

    /// Guards against a recycled pid: only kill a process that is a corral-shim.
    private static func isShim(pid: Int32) -> Bool {
        comm(pid)?.hasPrefix("corral-shim") ?? false
    }

    private static func comm(_ pid: Int32) -> String? {
        (try? FileSystem.readText("/proc/\(pid)/comm"))?.trimmingTrailingNewlines
    }

    private static func isZombie(_ pid: Int32) -> Bool {
        guard let stat = try? FileSystem.readText("/proc/\(pid)/stat"),
              let close = stat.lastIndex(of: ")") else { return true }
        return stat[stat.index(close, offsetBy: 2)] == "Z"
    }
}
