import CorralSystem
import Dispatch
import ShimContract
import Synchronization
import TTRPC

/// What every service of one shim shares: who it serves, its log, events, reaper, and the
/// way to ask it to exit.
public final class ShimContext: Sendable {
    public let options: ShimOptions
    public let paths: ShimPaths
    public let log: ShimLog
    public let events: EventLog
    public let reaper: Reaper
    public let startedAtWallNanos: UInt64
    public let startedAtMonotonicNanos: UInt64
    let recentCalls: CallHistory
    let idleTrimmer = IdleTrimmer()
    private let shutdownRequested: AsyncStream<Void>.Continuation
    let shutdownSignal: AsyncStream<Void>

    init(options: ShimOptions, log: ShimLog) {
        self.options = options
        self.paths = ShimPaths(stateDir: options.stateDir, socketDir: options.socketDir)
        self.log = log
        self.events = EventLog()
        self.reaper = Reaper(log: log)
        self.startedAtWallNanos = Clock.wallNanos
        self.startedAtMonotonicNanos = Clock.monotonicNanos
        self.recentCalls = CallHistory()
        (shutdownSignal, shutdownRequested) = AsyncStream<Void>.makeStream()
    }

    /// The pod's tasks, once serving; a signal must not take the shim away from them.
    let liveTasks = Mutex<(@Sendable () async -> Bool)?>(nil)

    /// SIGTERM or SIGINT: exit only when no task would be orphaned, as the design demands.
    func signalled(_ signal: Int32) {
        let check = liveTasks.withLock { $0 }
        Task {
            if let check, await check() {
                log(.warning, "ignoring signal \(signal): tasks are still running; use ShutdownSandbox")
            } else {
                requestShutdown(reason: "signal \(signal)")
            }
        }
    }

    /// Asks the shim to exit once the current call has been answered.
    func requestShutdown(reason: String) {
        log(.info, "shutdown requested: \(reason)")
        shutdownRequested.yield()
    }
}

/// Trims the shim's working set once it has served nothing for a while: handling a call maps
/// code and heap that an idle shim does not need resident.
final class IdleTrimmer: Sendable {
    private let generation = Mutex<UInt64>(0)
    private let delay: Duration

    init(after delay: Duration = .seconds(2)) {
        self.delay = delay
    }

    func activity() {
        let current = generation.withLock { g -> UInt64 in
            g &+= 1
            return g
        }
        let nanos = Int(clamping: delay.nanoseconds)
        DispatchQueue.global().asyncAfter(deadline: .now() + .nanoseconds(nanos)) { [self] in
            if generation.withLock({ $0 }) == current { WorkingSet.trim() }
        }
    }
}

/// The last calls the shim served, for `Debug.RecentRPCs`.
final class CallHistory: Sendable {
    private let records = Mutex<[TTRPCCallRecord]>([])
    private let capacity = 128

    func append(_ record: TTRPCCallRecord) {
        records.withLock { r in
            r.append(record)
            if r.count > capacity { r.removeFirst(r.count - capacity) }
        }
    }

    func recent(limit: Int) -> [TTRPCCallRecord] {
        let all = records.withLock { $0 }
        return limit > 0 ? Array(all.suffix(limit)) : all
    }
}

typealias TTRPCCallRecord = Server.CallRecord
