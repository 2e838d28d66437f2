import BenchCRIClient
import BenchSupport
import Foundation

/// One soak: a warm-up lifecycle, the long-lived pods, the churn on `workers` connections, and
/// every pod removed; the daemon read at each of those points.
struct ChurnRun {
    var endpoint: String
    var fixtures: PodFixtures
    var server: Int32?
    var pods: Int
    var longLived: Int
    var workers: Int

    func run(_ ledger: PodLedger) async throws -> ChurnReport {
        var report = try await churn(ledger)
        // Read once the bench's own connections are closed: the baseline held one, the churn four.
        try await Task.sleep(for: .seconds(1))
        report.afterRemoval = .take(server)
        return report
    }

    private func churn(_ ledger: PodLedger) async throws -> ChurnReport {
        try await CRISession.withSessions(workers, endpoint: endpoint) { sessions in
            let first = sessions[0]
            try await first.connection().pullImage(fixtures.image)
            // What the daemon opens once (stores, the CNI cache, a shim binary copy) is in the baseline.
            _ = try await lifecycle("w0", first)
            let baseline = ChurnReport.DaemonReading.take(server)
            BenchProgress.say("churn: \(longLived) long-lived pods")
            for index in 0..<longLived {
                let config = fixtures.sandbox("steady-\(index)")
                try FileManager.default.createDirectory(atPath: config.logDirectory, withIntermediateDirectories: true)
                var pod = BenchPod(id: try await first.connection().runPodSandbox(config), config: config)
                await ledger.add(index, pod)
                pod.containers.append(try await first.connection().createContainer(pod: pod, fixtures.container(0)))
                try await first.connection().startContainer(pod.containers[0])
            }
            BenchProgress.say("churn: \(pods) lifecycles on \(workers) workers")
            let started = ContinuousClock.now
            let outcomes = await withTaskGroup(of: [Lifecycle].self) { group in
                let next = Counter(limit: pods)
                for session in sessions {
                    group.addTask {
                        var done: [Lifecycle] = []
                        while let index = await next.claim() {
                            done.append(await lifecycleOutcome("c\(index)", session))
                            if index > 0, index % 100 == 0 { BenchProgress.say("churn: \(index) lifecycles started") }
                        }
                        return done
                    }
                }
                return await group.reduce(into: []) { $0 += $1 }
            }
            let elapsed = ContinuousClock.now - started
            let afterChurn = ChurnReport.DaemonReading.take(server)
            let stillListed = try await first.connection().podSandboxes(labelled: fixtures.labels).count
            await NodeCleanup(endpoint: endpoint, fixtures: fixtures, clients: workers).removeAll(await ledger.all)
            let failures = outcomes.compactMap(\.failure)
            return ChurnReport(
                lifecycles: pods, longLived: longLived, workers: workers,
                seconds: Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18,
                failed: failures.count, firstFailures: Array(Set(failures).sorted().prefix(5)),
                lifecycle: LatencySummary(outcomes.filter { $0.failure == nil }.map(\.milliseconds)),
                podsListedAfterChurn: stillListed,
                baseline: baseline, afterChurn: afterChurn, afterRemoval: afterChurn)
        }
    }

    struct Lifecycle: Sendable {
        var milliseconds: Double
        var failure: String?
    }

    private func lifecycleOutcome(_ key: String, _ session: CRISession) async -> Lifecycle {
        let started = ContinuousClock.now
        do {
            _ = try await lifecycle(key, session)
            let elapsed = ContinuousClock.now - started
            return Lifecycle(milliseconds: Double(elapsed.components.seconds) * 1000
                             + Double(elapsed.components.attoseconds) / 1e15)
        } catch {
            // A broken connection should not fail the worker's next lifecycles.
            await session.reset()
            return Lifecycle(milliseconds: 0, failure: "\(error)")
        }
    }

    /// One pod's life as kubelet lives it; a pod that fails halfway is removed before the error is passed on.
    private func lifecycle(_ key: String, _ session: CRISession) async throws {
        let config = fixtures.sandbox(key)
        try FileManager.default.createDirectory(atPath: config.logDirectory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: config.logDirectory) }
        let pod = BenchPod(id: try await session.connection().runPodSandbox(config), config: config)
        do {
            let container = try await session.connection().createContainer(pod: pod, fixtures.container(0))
            try await session.connection().startContainer(container)
            let code = try await session.connection().execSync(container, ["true"])
            guard code == 0 else { throw ChurnFailure(description: "ExecSync of true exited \(code)") }
        } catch {
            try? await session.connection().stopPodSandbox(pod.id)
            try? await session.connection().removePodSandbox(pod.id)
            throw error
        }
        try await session.connection().stopPodSandbox(pod.id)
        try await session.connection().removePodSandbox(pod.id)
    }

    struct ChurnFailure: Error, CustomStringConvertible {
        var description: String
    }

    /// Hands out 0..<limit, one number at a time, to the workers.
    actor Counter {
        private var next = 0
        private let limit: Int
        init(limit: Int) { self.limit = limit }
        func claim() -> Int? {
            guard next < limit else { return nil }
            defer { next += 1 }
            return next
        }
    }
}
