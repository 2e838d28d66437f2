import CorralSystem
import Foundation

// corral-bench shim-memory [N] | pod-start [N]   (as root; needs runc, CNI plugins, busybox)
let arguments = Array(CommandLine.arguments.dropFirst())
let shim = FileSystem.parent(of: FileSystem.currentExecutable) + "/corral-shim"
// Runtime state lives under /run (tmpfs), as DESIGN puts it: fsyncs there cost what they cost in production.
let root = "/run/corral-bench-\(getpid())"
try BenchPod.prepareImage()
try FileManager.default.createDirectory(atPath: root + "/logs", withIntermediateDirectories: true)
let cniDir = try BenchPod.writeCNIConfig(root: root)
defer {
    _ = try? Command.blockingRun("/sbin/ip", ["link", "del", BenchPod.bridge])
    try? FileManager.default.removeItem(atPath: root)
}

switch arguments.first {
case "shim-memory":
    try await ShimMemoryBench.run(count: Int(arguments.dropFirst().first ?? "") ?? 10, shim: shim, root: root, cniDir: cniDir)
case "pod-start":
    try await PodStartBench.run(count: Int(arguments.dropFirst().first ?? "") ?? 20, shim: shim, root: root, cniDir: cniDir)
default:
    print("usage: corral-bench shim-memory [N] | pod-start [N]")
    exit(2)
}

extension Command {
    /// For set-up steps outside what is measured.
    static func blockingRun(_ path: String, _ arguments: [String]) throws -> ExitStatus {
        try ProcessControl.wait(for: Spawn.run(path, arguments: [path] + arguments))
    }
}
