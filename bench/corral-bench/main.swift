import CorralSystem
import Foundation

// corral-bench shim-memory [N] | pod-start [N]   (as root; needs runc, CNI plugins, busybox)
let arguments = Array(CommandLine.arguments.dropFirst())
let shim = FileSystem.parent(of: FileSystem.currentExecutable) + "/corral-shim"
// Runtime state lives under /run, a tmpfs as DESIGN puts it, so that the fsyncs of state files
// (the shim's, and runc's O_SYNC pid file) cost what they cost in production. Where /run is on a
// disk, as on some of these machines, a journal commit per fsync would be measured instead, and
// it varies with whatever else writes to that disk: the state gets a tmpfs of its own.
// CORRAL_BENCH_STATE_ON_DISK=1 keeps it on /run's own file system, to see what a disk adds.
let root = "/run/corral-bench-\(getpid())"
let stateOnDisk = ProcessInfo.processInfo.environment["CORRAL_BENCH_STATE_ON_DISK"] == "1"
try BenchPod.prepareImage()
try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
if !stateOnDisk {
    try Mounts.mount("tmpfs", on: root, type: "tmpfs", data: "mode=0755")
}
func cleanUp() {
    _ = try? Command.blockingRun("/sbin/ip", ["link", "del", BenchPod.bridge])
    if !stateOnDisk { Mounts.unmount(root) }
    try? FileManager.default.removeItem(atPath: root)
}

var failure: (any Error)?
do {
    try FileManager.default.createDirectory(atPath: root + "/logs", withIntermediateDirectories: true)
    let cniDir = try BenchPod.writeCNIConfig(root: root)
    print("state under \(root), \(stateOnDisk ? "on /run's own file system" : "on a tmpfs")")
    switch arguments.first {
    case "shim-memory":
        try await ShimMemoryBench.run(count: Int(arguments.dropFirst().first ?? "") ?? 10, shim: shim, root: root, cniDir: cniDir)
    case "pod-start":
        try await PodStartBench.run(count: Int(arguments.dropFirst().first ?? "") ?? 20, shim: shim, root: root, cniDir: cniDir)
    default:
        print("usage: corral-bench shim-memory [N] | pod-start [N]")
        cleanUp()
        exit(2)
    }
} catch {
    failure = error
}
cleanUp()
if let failure {
    print("corral-bench: \(failure)")
    exit(1)
}

extension Command {
    /// For set-up steps outside what is measured.
    static func blockingRun(_ path: String, _ arguments: [String]) throws -> ExitStatus {
        try ProcessControl.wait(for: Spawn.run(path, arguments: [path] + arguments))
    }
}
