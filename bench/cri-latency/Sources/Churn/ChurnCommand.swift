import ArgumentParser
import BenchCRIClient
import BenchSupport
import Foundation

/// `corral-cri-bench churn --endpoint unix:///… --server-pidfile FILE`: issue 17's soak. Pods
/// come and go (RunPodSandbox, CreateContainer, StartContainer, ExecSync, StopPodSandbox,
/// RemovePodSandbox) on a few workers beside long-lived ones; the daemon's descriptors and
/// memory are read before, after the churn, and after every pod is gone. What the host keeps
/// afterwards (mounts, veths, leases, cgroups, processes, files) the calling script checks.
struct ChurnCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "churn",
        abstract: "Pod lifecycles on parallel workers beside long-lived pods; the daemon's descriptors and memory before and after.")

    @Option(help: "The CRI endpoint, unix:///path/to.sock.")
    var endpoint: String

    @Option(help: "The file holding the daemon's pid.")
    var serverPidfile: String

    @Option(help: "Pod lifecycles in all.")
    var pods = 1000

    @Option(help: "Pods that run through the whole churn.")
    var longLived = 30

    @Option(help: "Workers running lifecycles side by side, each on its own connection.")
    var workers = 4

    @Option(help: "The container image.")
    var image = "docker.io/library/busybox:latest"

    @Option(help: "The pods' cgroup parent.")
    var cgroupParent = "/corral-churn-bench"

    @Option(help: "Write the report as JSON to this file.")
    var json: String?

    func validate() throws {
        guard pods >= 1, longLived >= 0, workers >= 1 else {
            throw ValidationError("--pods and --workers must be at least 1, --long-lived at least 0")
        }
    }

    func run() async throws {
        let logRoot = FileManager.default.temporaryDirectory.appendingPathComponent("corral-churn-bench-\(getpid())").path
        defer { try? FileManager.default.removeItem(atPath: logRoot) }
        let fixtures = PodFixtures(benchName: "churn", image: image, logRoot: logRoot, cgroupParent: cgroupParent)
        let server = ServerPIDFile.read(serverPidfile)
        let ledger = PodLedger()
        let report: ChurnReport
        do {
            report = try await ChurnRun(endpoint: endpoint, fixtures: fixtures, server: server, pods: pods,
                                        longLived: longLived, workers: workers).run(ledger)
        } catch {
            await NodeCleanup(endpoint: endpoint, fixtures: fixtures, clients: workers).removeAll(await ledger.all)
            throw error
        }
        print(report.table)
        if let json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            try encoder.encode(report).write(to: URL(fileURLWithPath: json))
        }
        if !report.passed { throw ExitCode(1) }
    }
}
