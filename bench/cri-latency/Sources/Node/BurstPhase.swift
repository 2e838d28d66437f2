import BenchCRIClient
import CRIAPI
import Foundation

/// kubelet filling a node: `pods` pods of one container each, started by `clients` clients at
/// once, each on a connection of its own, as kubelet's pod workers start the pods a scheduler
/// has just bound; timed until the runtime lists every container running.
struct BurstPhase {
    var endpoint: String
    var fixtures: PodFixtures
    var pods: Int
    var clients: Int

    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    func run(ledger: PodLedger) async throws -> NodeReport.Burst {
        try await CRISession.withSessions(clients, endpoint: endpoint) { try await run($0, ledger) }
    }

    private func run(_ sessions: [CRISession], _ ledger: PodLedger) async throws -> NodeReport.Burst {
        // kubelet's connection is long open: these are opened before the clock starts.
        for session in sessions { _ = try await session.connection() }
        await ledger.plan(pods)
        let clock = ContinuousClock()
        let start = clock.now
        let outcomes = await withTaskGroup(of: Result<[Double], any Error>.self) { group in
            for session in sessions {
                group.addTask { await startPods(session, ledger) }
            }
            return await group.reduce(into: []) { $0.append($1) }
        }
        // Every client finished the pod in hand before the failure is reported, so the ledger
        // holds every pod the runtime named.
        let samples = try outcomes.flatMap { try $0.get() }
        try await waitUntilRunning(await ledger.all.flatMap(\.containers), session: sessions[0])
        let seconds = SampleBook.milliseconds(clock.now - start) / 1000
        return NodeReport.Burst(pods: pods, clients: clients, seconds: seconds,
                                podStart: MetricEntry(metric: .podStart, samplesMs: samples))
    }

    /// Pods claimed one at a time until none is left: RunPodSandbox, CreateContainer and
    /// StartContainer of each, timed together.
    private func startPods(_ session: CRISession, _ ledger: PodLedger) async -> Result<[Double], any Error> {
        var samples: [Double] = []
        let clock = ContinuousClock()
        do {
            while let index = await ledger.claim() {
                let config = fixtures.sandbox("\(index)")
                try FileManager.default.createDirectory(atPath: config.logDirectory, withIntermediateDirectories: true)
                let cri = try await session.connection()
                let start = clock.now
                let pod = BenchPod(id: try await cri.runPodSandbox(config), config: config)
                await ledger.add(index, pod)
                let container = try await cri.createContainer(pod: pod, fixtures.container(0))
                await ledger.addContainer(index, container)
                try await cri.startContainer(container)
                samples.append(SampleBook.milliseconds(clock.now - start))
            }
            return .success(samples)
        } catch {
            await ledger.stop()
            return .failure(error)
        }
    }

    /// StartContainer has answered for each; the burst ends when the runtime's own list agrees.
    private func waitUntilRunning(_ ids: [String], session: CRISession) async throws {
        guard ids.count == pods else { throw Failure(description: "\(ids.count) of \(pods) containers were started") }
        let wanted = Set(ids)
        let clock = ContinuousClock()
        let deadline = clock.now + .seconds(60)
        while true {
            let listed = try await session.connection().containers(labelled: fixtures.labels)
            let running = Set(listed.filter { $0.state == .containerRunning }.map(\.id))
            if wanted.isSubset(of: running) { return }
            guard clock.now < deadline else {
                throw Failure(description: "\(wanted.subtracting(running).count) of \(pods) containers not running 60 s after the burst")
            }
            try await Task.sleep(for: .milliseconds(20))
        }
    }
}
