#if canImport(Glibc)
import Glibc
#endif
import CorralSystem
import Dispatch
import ShimContract
import Synchronization

/// The shim's entry point, behind a thin `main`.
public enum ShimMain {
    static let servedSignals: [Int32] = [SIGCHLD, SIGTERM, SIGINT, SIGHUP]

    /// Runs synchronously at the top of `main`, before any thread exists.
    public static func prepare(_ arguments: [String]) {
        // PID 1 of a pod's shared PID namespace: nothing but reaping, before any runtime starts.
        if arguments.first == "init" { PIDNamespaceInit.runLoop() }
        // Before any thread exists: later threads would each get a malloc arena of their own.
        WorkingSet.useSingleMallocArena()
    }

    /// Runs the shim on the cooperative pool while the main thread waits. An async `main` would
    /// end the main thread through dispatch_main's pthread_exit, whose forced unwind makes the
    /// static binary's unwinder sort every FDE it has: 424 KiB kept for the life of every shim.
    public static func runBlocking(_ arguments: [String]) -> Int32 {
        let result = Mutex<Int32>(0)
        let done = DispatchSemaphore(value: 0)
        Task.detached {
            let code = await run(arguments)
            result.withLock { $0 = code }
            done.signal()
        }
        done.wait()
        return result.withLock { $0 }
    }

    public static func run(_ arguments: [String]) async -> Int32 {
        if arguments.first == "version" || arguments.first == "--version" {
            print("corral-shim \(BuildInfo.version) (protocol \(ShimProtocol.version), \(BuildInfo.runtime))")
            return 0
        }
        let options: ShimOptions
        do {
            options = try ShimOptions(arguments: arguments)
        } catch {
            try? FileDescriptor(rawValue: 2).writeAll("corral-shim: \(error)\n")
            return 2
        }
        switch options.command {
        case .start: return await StartCommand.run(options)
        case .serve: return await ServeCommand.run(options)
        case .delete: return await DeleteCommand.run(options)
        }
    }
}
