import BenchCRIClient
import BenchSupport
import GRPCCore

/// kubelet's load on a node it has filled, for `seconds`: every second the PLEG's relist
/// (ListPodSandbox, ListContainers) and ContainerStatus of `statusPerSecond` containers, taken
/// round-robin as if the relist had found them changed; every `statsInterval` seconds the stats
/// (ListContainerStats, ListPodSandboxStats, ImageFsInfo) and `probesPerRound` ExecSync probes.
/// The two schedules run side by side on connections of their own, as kubelet's loops do, and
/// the runtime's CPU is read over exactly `seconds` from the first tick.
struct SteadyStatePhase {
    var endpoint: String
    var containers: [String]
    var seconds: Int
    var statusPerSecond = 5
    var statsInterval = 10
    var probesPerRound = 10
    var daemon: Int32?
    var selector: ServerProcesses.Selector

    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    /// A tick that starts this late counts in `lateTicks`: the runtime held up the schedule.
    private static let lateness = Duration.milliseconds(100)

    func run() async throws -> NodeReport.Steady {
        try await CRISession.withSessions(2, endpoint: endpoint) { sessions in
            for session in sessions { _ = try await session.connection() }
            let first = CPUWindow.Reading.take(daemon: daemon, selector: selector)
            async let relists = relistLoop(sessions[0], from: first.at)
            // Half a second after the relist: kubelet's loops are not in step.
            async let stats = statsLoop(sessions[1], from: first.at + .milliseconds(500))
            let (relist, poll) = try await (relists, stats)
            try await Task.sleep(until: first.at + .seconds(seconds), clock: .continuous)
            let cpu = CPUWindow(from: first, to: .take(daemon: daemon, selector: selector))
            let order: [Metric] = [.listPodSandbox, .listContainers, .containerStatus, .listContainerStats,
                                   .listPodSandboxStats, .imageFsInfo, .execSync]
            let samples = relist.book.samples.merging(poll.book.samples) { $0 + $1 }
            return NodeReport.Steady(
                cpu: cpu, lateTicks: relist.late + poll.late, unimplemented: poll.unimplemented.map(\.rawValue),
                calls: order.compactMap { metric in
                    samples[metric].map {
                        MetricEntry(metric: metric, samplesMs: $0, containers: metric == .listContainers ? relist.listed : nil)
                    }
                })
        }
    }

    private struct LoopOutcome: Sendable {
        var book = SampleBook()
        var late = 0
        var listed: Int?
        var unimplemented: [Metric] = []
    }

    private func relistLoop(_ session: CRISession, from start: ContinuousClock.Instant) async throws -> LoopOutcome {
        var outcome = LoopOutcome()
        var next = 0
        for tick in 0..<seconds {
            try await waitForTick(start + .seconds(tick), late: &outcome.late)
            _ = try await outcome.book.time(.listPodSandbox, on: session) { try await $0.podSandboxes() }
            outcome.listed = try await outcome.book.time(.listContainers, on: session) { try await $0.containers() }.0.count
            for _ in 0..<statusPerSecond {
                let id = containers[next % containers.count]
                next += 1
                let (state, _) = try await outcome.book.time(.containerStatus, on: session) { try await $0.containerState(id) }
                guard state == .containerRunning else { throw Failure(description: "container \(id) is \(state), not running") }
            }
        }
        return outcome
    }

    private func statsLoop(_ session: CRISession, from start: ContinuousClock.Instant) async throws -> LoopOutcome {
        var outcome = LoopOutcome()
        var next = 0
        for tick in stride(from: 0, to: seconds, by: statsInterval) {
            try await waitForTick(start + .seconds(tick), late: &outcome.late)
            _ = try await outcome.book.time(.listContainerStats, on: session) { try await $0.containerStats() }
            // containerd before 1.7 may not answer it; the report says so rather than failing the run.
            if !outcome.unimplemented.contains(.listPodSandboxStats) {
                do {
                    _ = try await outcome.book.time(.listPodSandboxStats, on: session) { try await $0.podSandboxStats() }
                } catch let error as RPCError where error.code == .unimplemented {
                    BenchProgress.say("ListPodSandboxStats: unimplemented (\(error.message))")
                    outcome.unimplemented.append(.listPodSandboxStats)
                }
            }
            _ = try await outcome.book.time(.imageFsInfo, on: session) { try await $0.imageFsInfo() }
            for _ in 0..<probesPerRound {
                let id = containers[next % containers.count]
                next += 1
                let (exit, _) = try await outcome.book.time(.execSync, on: session) { try await $0.execSync(id, ["true"]) }
                guard exit == 0 else { throw Failure(description: "probe `true` in \(id) exited \(exit)") }
            }
        }
        return outcome
    }

    private func waitForTick(_ at: ContinuousClock.Instant, late: inout Int) async throws {
        if ContinuousClock.now > at + Self.lateness { late += 1 }
        try await Task.sleep(until: at, clock: .continuous)
    }
}
