import CorralSystem

#if canImport(Glibc)
import Glibc
#endif

/// `corral-shim delete`: clean up after a shim that died or must go. Idempotent: whatever is
/// already gone is skipped.
enum DeleteCommand {
    static func run(_ options: ShimOptions) -> Int32 {
        let paths = ShimPaths(stateDir: options.stateDir, socketDir: options.socketDir)
        if let bootstrap = Bootstrap.read(from: paths.bootstrap), bootstrap.pid > 1,
           isShim(pid: bootstrap.pid) {
            _ = kill(bootstrap.pid, SIGKILL)
            // It is not our child: wait for it to disappear rather than for its status.
            for _ in 0..<200 where ProcessControl.isAlive(bootstrap.pid) && !isZombie(bootstrap.pid) {
                usleep(10_000)
            }
        }
        FileSystem.remove(paths.socketPath)
        FileSystem.removeTree(paths.stateDir)
        return 0
    }

    /// Guards against a recycled pid: only kill a process that is a corral-shim.
    private static func isShim(pid: Int32) -> Bool {
        guard let comm = try? FileSystem.readText("/proc/\(pid)/comm") else { return false }
        return comm.hasPrefix("corral-shim")
    }

    private static func isZombie(_ pid: Int32) -> Bool {
        guard let stat = try? FileSystem.readText("/proc/\(pid)/stat"),
              let close = stat.lastIndex(of: ")") else { return true }
        return stat[stat.index(close, offsetBy: 2)] == "Z"
    }
}
