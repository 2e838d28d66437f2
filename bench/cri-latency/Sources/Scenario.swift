import BenchCRIClient
import BenchSupport
import CRIAPI
import Foundation

/// kubelet's calls in the order a node makes them: pods started one after the other and left
/// running, the list at a few and at many containers, then every pod stopped and removed.
struct Scenario {
    var session: CRISession
    var fixtures: PodFixtures
    var runs: Int
    var warmups: Int
    var fewContainers = 10
    var manyContainers = 200
    var serverPID: Int32?
    var subnetHint: SubnetHint?

    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    func run(endpoint: String, name: String) async throws -> BenchReport {
        var book = SampleBook()
        var pods: [BenchPod] = []
        do {
            let runtime = try await session.connection().runtimeName()
            BenchProgress.say("\(name): \(runtime) at \(endpoint)")
            if try await !session.connection().imagePresent(fixtures.image) {
                BenchProgress.say("pulling \(fixtures.image)")
                try await session.connection().pullImage(fixtures.image)
            }
            // Idle means idle: 15 s without a call, for both servers alike — long enough for Go's
            // scavenger and for corrald's idle trim (after 10 s of quiet) to give memory back.
            try await Task.sleep(for: .seconds(15))
            let idleRSS = serverPID.flatMap(ServerMemory.residentKiB)

            var warmupStart: Double?
            for w in 0..<warmups {
                var scratch = SampleBook()
                let pod = try await startPod(key: "w\(w)", book: &scratch, into: &pods)
                warmupStart = warmupStart ?? scratch.samples[.podStart]?.first
                try await session.connection().stopPodSandbox(pod.id)
                try await session.connection().removePodSandbox(pod.id)
                pods.removeAll { $0.id == pod.id }
            }

            var fewCount = 0
            for i in 0..<runs {
                let pod = try await startPod(key: "\(i)", book: &book, into: &pods)
                if i == 0, let hint = subnetHint {
                    let ip = try await session.connection().podIP(pod.id)
                    if !hint.contains(ip) {
                        BenchProgress.say("warning: the first pod's IP \(ip.isEmpty ? "(none)" : ip) is outside \(hint)")
                    }
                }
                if pods.count == min(fewContainers, runs) {
                    fewCount = try await timeList(.listContainersFew, book: &book)
                }
            }

            try await ContainerGrowth.grow(&pods, to: manyContainers, fixtures: fixtures, session: session)
            let manyCount = try await timeList(.listContainersMany, book: &book)
            let loadedRSS = serverPID.flatMap(ServerMemory.residentKiB)
            let perPod = pods.map(\.containers.count).max() ?? 0

            while let pod = pods.first {
                _ = try await book.time(.stopPodSandbox, on: session) { try await $0.stopPodSandbox(pod.id) }
                _ = try await book.time(.removePodSandbox, on: session) { try await $0.removePodSandbox(pod.id) }
                pods.removeFirst()
            }

            let counts: [Metric: Int] = [.listContainersFew: fewCount, .listContainersMany: manyCount]
            return BenchReport(
                name: name, endpoint: endpoint, runtime: runtime, runs: runs, image: fixtures.image,
                containersPerPodAtStop: perPod, serverPID: serverPID, idleRSSKiB: idleRSS,
                loadedRSSKiB: loadedRSS, loadedContainers: manyCount, warmupPodStartMs: warmupStart,
                connectionsOpened: await session.connectionsOpened,
                entries: Metric.allCases.compactMap { metric in
                    book.samples[metric].map {
                        MetricEntry(metric: metric, samplesMs: $0, containers: counts[metric])
                    }
                })
        } catch {
            BenchProgress.say("failed: \(error); removing the \(pods.count) pods made so far")
            await session.reset()
            for pod in pods {
                try? await session.connection().stopPodSandbox(pod.id)
                try? await session.connection().removePodSandbox(pod.id)
            }
            throw error
        }
    }

    /// RunPodSandbox, CreateContainer, StartContainer, then ContainerStatus and ExecSync, each
    /// timed; the pod is added to `pods` as soon as it exists so a failure can still remove it.
    private func startPod(key: String, book: inout SampleBook, into pods: inout [BenchPod]) async throws -> BenchPod {
        let config = fixtures.sandbox(key)
        try FileManager.default.createDirectory(atPath: config.logDirectory, withIntermediateDirectories: true)
        let (podID, run) = try await book.time(.runPodSandbox, on: session) { try await $0.runPodSandbox(config) }
        var pod = BenchPod(id: podID, config: config)
        pods.append(pod)
        let container = fixtures.container(0)
        let (id, create) = try await book.time(.createContainer, on: session) { [pod] in
            try await $0.createContainer(pod: pod, container)
        }
        pod.containers.append(id)
        pods[pods.count - 1] = pod
        let (_, start) = try await book.time(.startContainer, on: session) { try await $0.startContainer(id) }
        book.add(.podStart, run + create + start)

        let (state, _) = try await book.time(.containerStatus, on: session) { try await $0.containerState(id) }
        guard state == .containerRunning else {
            throw Failure(description: "container \(id) of pod \(key) is \(state), not running")
        }
        let (exit, _) = try await book.time(.execSync, on: session) { try await $0.execSync(id, ["true"]) }
        guard exit == 0 else { throw Failure(description: "ExecSync `true` in \(id) exited \(exit)") }
        return pod
    }

    /// ListContainers `runs` times; returns how many containers the runtime reported.
    private func timeList(_ metric: Metric, book: inout SampleBook) async throws -> Int {
        var seen = 0
        for _ in 0..<runs {
            (seen, _) = try await book.time(metric, on: session) { try await $0.listContainers() }
        }
        return seen
    }
}
