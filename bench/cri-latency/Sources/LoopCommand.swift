import ArgumentParser
import BenchCRIClient
import BenchSupport
import CRIAPI
import Foundation

/// `corral-cri-bench loop`: one call repeated many times against a runtime that runs a given
/// number of containers, with the CPU time each side spent per call: thousands of samples
/// where `measure` takes 20, and a steady load for a profiler attached to the server.
struct LoopCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "loop",
        abstract: "Repeat CRI calls against a runtime running N containers; the pods are removed after.")

    enum Call: String, CaseIterable, ExpressibleByArgument {
        /// ListContainers with kubelet's empty filter.
        case list
        case version
        /// ContainerStatus of one running container.
        case status
        /// RunPodSandbox + CreateContainer + StartContainer of a new pod (left running until the end).
        case podstart
    }

    @Option(help: "The CRI endpoint, unix:///path/to.sock.")
    var endpoint: String

    @Option(help: "Containers running while the calls repeat (10 per pod).")
    var containers = 200

    @Option(help: "The call to repeat: \(Call.allCases.map(\.rawValue).joined(separator: ", ")); repeat the option for several, one after the other.")
    var call: [Call] = [.list]

    @Option(help: "Timed calls of each.")
    var calls = 2000

    @Option(help: "Seconds to wait once the containers run, before the first call (to attach a profiler).")
    var pause = 0

    @Option(help: "Seconds to wait after the last call, before the pods are removed (to inspect them).")
    var hold = 0

    @Flag(help: "Print every sample in the order taken (to see a trend, e.g. right after the containers start).")
    var printSamples = false

    @Option(help: "The CRI server's pid, for its CPU time per call.")
    var serverPid: Int32?

    @Option(help: "The container image.")
    var image = "docker.io/library/busybox:latest"

    @Flag(inversion: .prefixedNo, help: "Let the client hold each flush for up to 100 µs, as grpc-swift's clients do by default (kubelet's sends at once).")
    var coalesceFlushes = false

    func run() async throws {
        let logRoot = FileManager.default.temporaryDirectory.appendingPathComponent("corral-cri-loop-\(getpid())").path
        defer { try? FileManager.default.removeItem(atPath: logRoot) }
        let cgroupParent = "/corral-bench"
        let parentWasThere = CgroupParent.exists(cgroupParent)
        defer { if !parentWasThere { CgroupParent.removeIfEmpty(cgroupParent) } }
        let fixtures = PodFixtures(benchName: "loop", image: image, logRoot: logRoot, cgroupParent: cgroupParent)
        let session = CRISession(endpoint: endpoint, coalesceFlushes: coalesceFlushes)
        var pods: [BenchPod] = []
        do {
            if try await !session.connection().imagePresent(image) { try await session.connection().pullImage(image) }
            while pods.reduce(0, { $0 + $1.containers.count }) < containers {
                var pod = try await startPod(fixtures, key: "\(pods.count)", session: session)
                let running = pods.reduce(0) { $0 + $1.containers.count }
                for i in 0..<min(10, containers - running) {
                    let id = try await session.connection().createContainer(pod: pod, fixtures.container(i))
                    try await session.connection().startContainer(id)
                    pod.containers.append(id)
                }
                pods.append(pod)
            }
            BenchProgress.say("\(containers) containers in \(pods.count) pods")
            if pause > 0 { try await Task.sleep(for: .seconds(pause)) }
            for call in call {
                try await repeatCall(call, fixtures: fixtures, session: session, pods: &pods)
            }
            if hold > 0 { try await Task.sleep(for: .seconds(hold)) }
        } catch {
            BenchProgress.say("failed: \(error)")
        }
        await session.reset()
        for pod in pods {
            try? await session.connection().stopPodSandbox(pod.id)
            try? await session.connection().removePodSandbox(pod.id)
        }
        await session.reset()
    }

    private func repeatCall(_ call: Call, fixtures: PodFixtures, session: CRISession, pods: inout [BenchPod]) async throws {
        let target = pods.first?.containers.first ?? ""
        var started = pods.count
        let result = try await RepeatedCall.measure(
            calls: calls, serverPID: serverPid, session: session,
            prepare: { () throws -> Runtime_V1_PodSandboxConfig? in
                guard call == .podstart else { return nil }
                let config = fixtures.sandbox("s\(started)")
                started += 1
                try FileManager.default.createDirectory(atPath: config.logDirectory, withIntermediateDirectories: true)
                return config
            },
            call: { cri, config in
                switch call {
                case .list: _ = try await cri.listContainers()
                case .version: _ = try await cri.runtimeName()
                case .status: _ = try await cri.containerState(target)
                case .podstart:
                    guard let config else { return }
                    let pod = BenchPod(id: try await cri.runPodSandbox(config), config: config)
                    pods.append(pod)
                    try await cri.startContainer(try await cri.createContainer(pod: pod, fixtures.container(0)))
                }
            })
        if printSamples { print("samples (ms, in order): " + result.samplesMs.map { String(format: "%.2f", $0) }.joined(separator: " ")) }
        let samples = result.samplesMs.sorted()
        func at(_ q: Double) -> String { String(format: "%.3f", samples[Int(q * Double(samples.count - 1))]) }
        print("\(call.rawValue) x\(calls) at \(containers) containers: p10 \(at(0.1)) median \(at(0.5)) p90 \(at(0.9)) ms;"
              + " CPU per call: client \(result.clientMicrosPerCall) µs, server \(result.serverMicrosPerCall.map { "\($0) µs" } ?? "?")")
    }

    private func startPod(_ fixtures: PodFixtures, key: String, session: CRISession) async throws -> BenchPod {
        let config = fixtures.sandbox(key)
        try FileManager.default.createDirectory(atPath: config.logDirectory, withIntermediateDirectories: true)
        return BenchPod(id: try await session.connection().runPodSandbox(config), config: config)
    }
}
