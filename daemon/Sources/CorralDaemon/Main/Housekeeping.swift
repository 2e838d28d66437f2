import CorralSystem
import CorralSystemd
import ServiceLifecycle
import UnixSignals

/// What the daemon does beside serving, until it stops: pets systemd's watchdog, reloads its
/// configuration on SIGHUP, and gives memory back after busy spells.
struct Housekeeping: Service {
    let registry: PodRegistry
    let instrumentation: Instrumentation
    let reloader: ConfigReloader

    func run() async throws {
        let (registry, instrumentation, reloader) = (self.registry, self.instrumentation, self.reloader)
        await cancelWhenGracefulShutdown {
            await withDiscardingTaskGroup { group in
                if let interval = Systemd.watchdogInterval {
                    group.addTask { await Self.keepWatchdog(every: interval, registry: registry) }
                }
                group.addTask { await Self.trimWhenIdle(instrumentation) }
                group.addTask {
                    for await _ in await UnixSignalsSequence(trapping: .sighup) { reloader.reload() }
                }
            }
        }
    }

    /// Pets the watchdog only while the registry, which every CRI call goes through, answers:
    /// a wedged daemon stops petting and systemd restarts it.
    static func keepWatchdog(every interval: Duration, registry: PodRegistry) async {
        while !Task.isCancelled {
            _ = await registry.allSandboxes.count
            Systemd.notify("WATCHDOG=1")
            // Cancelled at shutdown: the loop ends.
            try? await Task.sleep(for: interval)
        }
    }

    /// Once start-up is over, and again after each busy spell, gives back what an idle daemon
    /// does not use: free heap, and the clean pages of its code and libraries (start-up faults in
    /// far more of them than serving needs; used ones come back from the page cache).
    static func trimWhenIdle(_ instrumentation: Instrumentation, quiet: Duration = .seconds(10)) async {
        var trimmedAfter: UInt64 = 0
        while !Task.isCancelled {
            // Cancelled at shutdown: the loop ends.
            try? await Task.sleep(for: .seconds(2))
            let last = instrumentation.lastRequest.load(ordering: .relaxed)
            let quietNanos = UInt64(quiet.nanoseconds)
            guard trimmedAfter == 0 || last > trimmedAfter, Clock.monotonicNanos &- last >= quietNanos || last == 0 else { continue }
            WorkingSet.trim()
            trimmedAfter = max(last, 1)
        }
    }
}
