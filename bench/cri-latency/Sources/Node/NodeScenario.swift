import BenchCRIClient
import BenchSupport
import Foundation

/// A full node's day against one runtime, in order: a warm-up pod, the burst that fills the node,
/// kubelet's steady state over it, the memory it then holds, a kill -9 of the daemon and its
/// recovery, and ListContainers' CPU once more containers run; then every pod the run made is
/// removed, whatever happened.
struct NodeScenario {
    var endpoint: String
    var name: String
    var fixtures: PodFixtures
    var pods: Int
    var clients: Int
    var steadySeconds: Int
    var listContainers: Int
    var listCalls: Int
    var pidFile: String
    var selector: ServerProcesses.Selector
    var restartCommand: String?
    var subnetHint: SubnetHint?
    /// Quiet before the burst and before the steady state: what the runtime does after a burst
    /// (containerd's event handling, corral's working-set trims) is not kubelet's steady state.
    var settle = Duration.seconds(10)

    func run() async throws -> NodeReport {
        let ledger = PodLedger()
        let session = CRISession(endpoint: endpoint, coalesceFlushes: false)
        let outcome: Result<NodeReport, any Error>
        do {
            outcome = .success(try await phases(ledger, session))
        } catch {
            BenchProgress.say("\(name): failed: \(error)")
            outcome = .failure(error)
        }
        await session.reset()
        await NodeCleanup(endpoint: endpoint, fixtures: fixtures, clients: clients).removeAll(await ledger.all)
        return try outcome.get()
    }

    private func phases(_ ledger: PodLedger, _ session: CRISession) async throws -> NodeReport {
        let runtime = try await session.connection().runtimeName()
        BenchProgress.say("\(name): \(runtime) at \(endpoint)")
        try await warmUp(session)
        try await Task.sleep(for: settle)

        // Pulled again, untimed, as kubelet does for each pod: the lab's containerd is shared, and
        // another user may have removed the image meanwhile.
        try await session.connection().pullImage(fixtures.image)
        BenchProgress.say("\(name): burst of \(pods) pods from \(clients) clients")
        let burst = try await BurstPhase(endpoint: endpoint, fixtures: fixtures, pods: pods, clients: clients).run(ledger: ledger)
        BenchProgress.say(String(format: "%@: all running after %.2f s", name, burst.seconds))
        try await Task.sleep(for: settle)

        var started = await ledger.all
        BenchProgress.say("\(name): kubelet's steady state for \(steadySeconds) s")
        let steady = try await SteadyStatePhase(
            endpoint: endpoint, containers: started.flatMap(\.containers), seconds: steadySeconds,
            daemon: ServerPIDFile.read(pidFile), selector: selector
        ).run()
        let memory = NodeMemory.read(selector.find(daemon: ServerPIDFile.read(pidFile), in: .read()))

        var restart: NodeReport.Restart?
        if let restartCommand {
            BenchProgress.say("\(name): kill -9 of the daemon, then \(restartCommand)")
            await session.reset()
            restart = try await RestartPhase(endpoint: endpoint, command: restartCommand, pidFile: pidFile,
                                             fixtures: fixtures, pods: started).run()
            BenchProgress.say(String(format: "%@: reconciled %.3f s after the kill", name, restart?.reconciledSeconds ?? 0))
        }

        try await ContainerGrowth.grow(&started, to: listContainers, fixtures: fixtures, session: session)
        try await Task.sleep(for: .seconds(5))
        let listed = try await session.connection().listContainers()
        BenchProgress.say("\(name): ListContainers x\(listCalls) at \(listed) containers")
        let list = try await RepeatedCall.measure(calls: listCalls, serverPID: ServerPIDFile.read(pidFile), session: session) {
            _ = try await $0.listContainers()
        }
        return NodeReport(
            name: name, endpoint: endpoint, runtime: runtime, image: fixtures.image, burst: burst,
            steady: steady, memory: memory, restart: restart,
            list: NodeReport.ListCPU(containers: listed, calls: listCalls, serverMicrosPerCall: list.serverMicrosPerCall,
                                     clientMicrosPerCall: list.clientMicrosPerCall,
                                     latency: MetricEntry(metric: .listContainersMany, samplesMs: list.samplesMs, containers: listed)))
    }

    /// The image (pulled even when present, which makes sure the runtime can resolve it), and one
    /// pod started and removed untimed: containerd pulls its pause image for
    /// the first pod, and either runtime may open its stores lazily.
    private func warmUp(_ session: CRISession) async throws {
        if try await !session.connection().imagePresent(fixtures.image) { BenchProgress.say("pulling \(fixtures.image)") }
        try await session.connection().pullImage(fixtures.image)
        let config = fixtures.sandbox("w0")
        try FileManager.default.createDirectory(atPath: config.logDirectory, withIntermediateDirectories: true)
        // Should anything fail, the run's cleanup finds this pod by its labels.
        let pod = BenchPod(id: try await session.connection().runPodSandbox(config), config: config)
        let ip = try await session.connection().podIP(pod.id)
        if let subnetHint, !subnetHint.contains(ip) {
            BenchProgress.say("warning: the warm-up pod's IP \(ip.isEmpty ? "(none)" : ip) is outside \(subnetHint)")
        }
        let container = try await session.connection().createContainer(pod: pod, fixtures.container(0))
        try await session.connection().startContainer(container)
        try await session.connection().stopPodSandbox(pod.id)
        try await session.connection().removePodSandbox(pod.id)
    }
}
