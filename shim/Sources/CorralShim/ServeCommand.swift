import CorralSystem
import ShimContract
import TTRPC

#if canImport(Glibc)
import Glibc
#endif

/// The long-lived shim: `corral-shim serve`, started by `start` in a session of its own
/// with stdout as a pipe on which it announces its address once it serves.
enum ServeCommand {
    static func run(_ options: ShimOptions) async -> Int32 {
        let paths = ShimPaths(stateDir: options.stateDir, socketDir: options.socketDir)
        let log = ShimLog(path: paths.log, verbose: options.debug)
        let shim = ShimContext(options: options, log: log)

        let signals: SignalEvents
        do {
            signals = try SignalEvents(ShimMain.servedSignals) { signal in
                switch signal {
                case SIGCHLD: shim.reaper.reap()
                case SIGTERM, SIGINT: shim.signalled(signal)
                default: log(.info, "ignoring signal \(signal)")
                }
            }
        } catch {
            log(.error, "cannot set up signals: \(error)")
            return 1
        }
        SignalEvents.ignoreBrokenPipes()
        ProcessControl.setName("corral-shim")
        do {
            try ProcessControl.becomeChildSubreaper()
        } catch {
            log(.error, "\(error)")
            return 1
        }

        let tasks = TaskRegistry(shim: shim)
        let sandbox = PodSandbox(shim: shim, tasks: tasks)
        shim.liveTasks.withLock { $0 = { await tasks.hasLiveTasks } }
        let server = Server(
            path: paths.socketPath,
            services: [
                DebugService.make(shim, tasks: tasks, serverAddress: paths.address),
                SandboxService.make(shim, sandbox),
                TaskService.make(tasks),
                EventsService.make(shim),
            ],
            log: { log(.warning, $0) },
            onCall: {
                shim.recentCalls.append($0)
                shim.idleTrimmer.activity()
            })
        do {
            try server.start()
            try Bootstrap(address: paths.address, pid: ProcessControl.pid).write(to: paths.bootstrap)
        } catch {
            log(.error, "cannot serve on \(paths.socketPath): \(error)")
            server.stop()
            return 1
        }
        log(.info, "shim \(BuildInfo.version) serving pod \(options.id) on \(paths.address), pid \(ProcessControl.pid)")
        announce(paths.address)
        shim.idleTrimmer.activity()

        for await _ in shim.shutdownSignal { break }

        // Let the answer to ShutdownSandbox reach the caller before the connection goes.
        try? await Task.sleep(for: .milliseconds(20))
        server.stop()
        shim.events.finishSubscribers()
        FileSystem.remove(paths.bootstrap)
        signals.cancel()
        log(.info, "shim for pod \(options.id) exiting")
        log.close()
        return 0
    }

    /// Tells `start` the address on stdout, then lets go of the pipe so `start` can exit.
    private static func announce(_ address: String) {
        try? FileDescriptor(rawValue: 1).writeAll(address + "\n")
        let null = open("/dev/null", O_WRONLY | O_CLOEXEC)
        if null >= 0 {
            dup2(null, 1)
            close(null)
        }
    }
}
