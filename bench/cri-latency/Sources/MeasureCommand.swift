import ArgumentParser
import BenchCRIClient
import BenchSupport
import Foundation

/// `corral-cri-bench [measure] --endpoint unix:///… --name NAME …`
struct MeasureCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "measure",
        abstract: "Time the CRI calls of a pod's life against one runtime.")

    @Option(help: "The CRI endpoint, unix:///path/to.sock.")
    var endpoint: String

    @Option(help: "A name for this runtime in the report (corral, containerd).")
    var name: String

    @Option(help: "Pods started (and samples of every call).")
    var runs = 20

    @Option(help: "Untimed pods started and removed before the runs.")
    var warmups = 1

    @Option(help: "The container image.")
    var image = "docker.io/library/busybox:latest"

    @Option(help: "ListContainers is timed again once this many containers run.")
    var containers = 200

    @Option(help: "The pods' cgroup parent.")
    var cgroupParent = "/corral-bench"

    @Option(help: "An IPv4 CIDR the first pod's IP should be in; a warning when it is not.")
    var cniSubnetHint: String?

    @Option(help: "The CRI server's pid, for its VmRSS idle and under load.")
    var serverPid: Int32?

    @Option(help: "Write the report as JSON to this file.")
    var json: String?

    @Flag(inversion: .prefixedNo, help: "Let the client hold each flush for up to 100 µs, as grpc-swift's clients do by default (kubelet's sends at once).")
    var coalesceFlushes = false

    @Option(help: "table or json (to stdout).")
    var output: OutputFormat = .table

    enum OutputFormat: String, ExpressibleByArgument { case table, json }

    func validate() throws {
        guard runs >= 1 else { throw ValidationError("--runs must be at least 1") }
        guard cniSubnetHint.map({ SubnetHint($0) != nil }) ?? true else {
            throw ValidationError("--cni-subnet-hint must be an IPv4 CIDR such as 10.88.0.0/16")
        }
    }

    func run() async throws {
        let logRoot = FileManager.default.temporaryDirectory
            .appendingPathComponent("corral-cri-bench-\(name)-\(getpid())").path
        defer { try? FileManager.default.removeItem(atPath: logRoot) }
        let parentWasThere = CgroupParent.exists(cgroupParent)
        let fixtures = PodFixtures(benchName: name, image: image, logRoot: logRoot, cgroupParent: cgroupParent)
        let session = CRISession(endpoint: endpoint, coalesceFlushes: coalesceFlushes)
        let scenario = Scenario(session: session, fixtures: fixtures, runs: runs, warmups: warmups,
                                manyContainers: containers, serverPID: serverPid,
                                subnetHint: cniSubnetHint.flatMap(SubnetHint.init))
        let outcome: Result<BenchReport, any Error>
        do {
            outcome = .success(try await scenario.run(endpoint: endpoint, name: name))
        } catch {
            outcome = .failure(error)
        }
        await session.reset()
        if !parentWasThere { CgroupParent.removeIfEmpty(cgroupParent) }
        let report = try outcome.get()
        if let json { try report.write(to: json) }
        switch output {
        case .table: print(ReportTable.render(report))
        case .json: print(String(decoding: try report.encoded(), as: UTF8.self))
        }
    }
}
