import CorralJSON
import CorralSystem
import ShimContract
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
        await deleteTasks(paths)
        if let sandbox = SandboxRecord.read(from: paths.sandbox) {
            await deleteNetwork(sandbox, id: options.id)
            for path in [sandbox.networkNamespace, sandbox.ipcNamespace, sandbox.utsNamespace, sandbox.userNamespace]
            where !path.isEmpty {
                Namespaces.release(path)
            }
            if sandbox.initPID > 1, comm(sandbox.initPID) == "corral-init" { kill(sandbox.initPID, SIGKILL) }
        }
        FileSystem.remove(paths.socketPath)
        FileSystem.removeTree(paths.stateDir)
        return 0
    }

    private static func deleteTasks(_ paths: ShimPaths) async {
        for name in (try? FileSystem.listDirectory(paths.tasks)) ?? [] {
            guard let task = TaskFile.read(from: paths.tasks + "/" + name + "/task.json") else { continue }
            if task.pid > 1 { kill(task.pid, SIGKILL) }
            guard task.execID.isEmpty else { continue }
            let runtime = task.runtime.isEmpty ? "runc" : task.runtime
            // Removes the container's state and cgroup; it may already be gone.
            let root = task.runtimeRoot.isEmpty ? paths.runtimeRoot : task.runtimeRoot
            let cgroups = task.systemdCgroup ? ["--systemd-cgroup"] : []
            _ = try? await Command.run(runtime, arguments: ["--root", root] + cgroups + ["delete", "--force", task.id])
            if task.rootfsMounted && !task.bundle.isEmpty { Mounts.unmount(task.bundle + "/rootfs") }
        }
    }

    private static func deleteNetwork(_ sandbox: SandboxRecord, id: String) async {
        let attached = sandbox.networks.compactMap { network -> (network: CNINetworkList, result: CNIResult?)? in
            guard let json = try? JSONValue(parsing: network.config), let list = try? CNINetworkList(json: json) else { return nil }
            return (list, (try? JSONValue(parsing: network.result)).flatMap { try? CNIResult(json: $0) })
        }
        guard !attached.isEmpty, !sandbox.networkNamespace.isEmpty else { return }
        let dirs = sandbox.cniBinDirectories
        // delete must finish regardless, so a plugin that hangs here is cut off too.
        let client = CNIClient(binDirectories: dirs.isEmpty ? CNIClient.defaultBinDirectories : dirs,
                               pluginTimeLimit: .seconds(10))
        let pod = CNIPodNetwork(containerID: id, netnsPath: sandbox.networkNamespace, podName: sandbox.podName,
                                podNamespace: sandbox.podNamespace, podUID: sandbox.podUID)
        // Best effort: the network may be half gone already, and delete must finish regardless.
        try? await client.tearDown(networks: attached, pod: pod)
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
