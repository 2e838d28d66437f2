import BenchSupport
import Foundation

/// One runtime being measured: its endpoint and, once prepared, its pod with the servers. The
/// calls of each phase share one CRI connection (CRIConnection says why not one for the run).
final class RuntimeUnderTest {
    let name: String
    let endpoint: String
    let pod: StreamPod
    private(set) var runtime = ""
    private(set) var podID: String?
    private var container = ""
    private var phase: CRIConnection?

    init(name: String, endpoint: String, pod: StreamPod) {
        self.name = name
        self.endpoint = endpoint
        self.pod = pod
    }

    /// The image, the pod and its two servers, listening.
    func prepare() async throws {
        let cri = try CRIConnection(endpoint: endpoint)
        do {
            runtime = try await cri.runtimeName()
            BenchProgress.say("\(name): \(runtime) at \(endpoint)")
            try await cri.ensureImage(pod.image)
            let sandbox = pod.sandbox
            let id = try await cri.runPod(sandbox)
            podID = id
            container = try await cri.runContainer(pod: id, sandbox: sandbox, pod.sink)
            _ = try await cri.runContainer(pod: id, sandbox: sandbox, pod.source)
            try await waitListening(cri, ports: [StreamPod.sourcePort, StreamPod.sinkPort])
        } catch {
            await cri.close()
            throw error
        }
        await cri.close()
    }

    func beginPhase() throws {
        phase = try CRIConnection(endpoint: endpoint)
    }

    func endPhase() async {
        await phase?.close()
        phase = nil
    }

    func execSample() async throws -> Double {
        try await ExecLatency.sample(try current(), container: container)
    }

    func execSyncSample() async throws -> Double {
        try await ExecLatency.syncSample(try current(), container: container)
    }

    func download(bytes: Int) async throws -> Double {
        try await PortForwardThroughput.download(try current(), pod: podID ?? "", bytes: bytes)
    }

    func upload(bytes: Int) async throws -> Double {
        try await PortForwardThroughput.upload(try current(), pod: podID ?? "", bytes: bytes)
    }

    /// Removes the pod, if there is one, on a fresh connection (the phase's may be what failed).
    func removePod() async {
        await endPhase()
        guard let id = podID else { return }
        do {
            let cri = try CRIConnection(endpoint: endpoint)
            do { try await cri.removePod(id) } catch { BenchProgress.say("\(name): removing pod \(id) failed: \(error)") }
            await cri.close()
        } catch {
            BenchProgress.say("\(name): no connection to remove pod \(id): \(error)")
        }
        podID = nil
    }

    private func current() throws -> CRIConnection {
        guard let phase else { throw BenchFailure("\(name): no CRI connection open for this phase") }
        return phase
    }

    /// Polls the pod's TCP tables (all its containers share them) until `ports` listen.
    private func waitListening(_ cri: CRIConnection, ports: [Int32]) async throws {
        let deadline = ContinuousClock.now + .seconds(30)
        while ContinuousClock.now < deadline {
            let tables = try await cri.execSync(container, ["cat", "/proc/net/tcp", "/proc/net/tcp6"])
            let listening = Set(String(decoding: tables.stdout, as: UTF8.self).split(separator: "\n").compactMap { line -> Int32? in
                let fields = line.split(separator: " ")
                guard fields.count > 3, fields[3] == "0A", let colon = fields[1].lastIndex(of: ":") else { return nil }
                return Int32(fields[1][fields[1].index(after: colon)...], radix: 16)
            })
            if ports.allSatisfy(listening.contains) { return }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw BenchFailure("\(name): the pod's servers did not listen on \(ports) within 30 s")
    }
}
