import ArgumentParser
import BenchSupport
import CRIAPI
import Foundation

/// `corral-cri-bench node --endpoint unix:///… --name NAME --server-pidfile FILE --shim-match RE …`
struct NodeMeasureCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "measure",
        abstract: "Fill a node with pods and measure it under kubelet's load; every pod is removed after.")

    @Option(help: "The CRI endpoint, unix:///path/to.sock.")
    var endpoint: String

    @Option(help: "A name for this runtime in the report (corral, containerd).")
    var name: String

    @Option(help: "The file the daemon's start script writes its pid to (read again after the restart).")
    var serverPidfile: String

    @Option(help: "A regular expression over the command lines of the runtime's per-pod shims.")
    var shimMatch: String

    @Option(help: "A regular expression over the command lines of the shims' descendants that belong to the runtime (pause, a PID namespace's init), not to the workload.")
    var podProcessMatch: String?

    @Option(help: "After kill -9 of the daemon, this /bin/sh command starts it again (not waited for). Without it, no restart is measured.")
    var restartCommand: String?

    @Option(help: "Pods in the burst, one container each (kubelet's default maximum).")
    var pods = 110

    @Option(help: "Clients that start the pods at once, each on its own connection.")
    var clients = 10

    @Option(help: "Seconds of kubelet's steady state.")
    var steadySeconds = 60

    @Option(help: "Containers running while ListContainers' CPU is measured (more are added to the pods).")
    var listContainers = 200

    @Option(help: "ListContainers calls over which its CPU is measured.")
    var listCalls = 1000

    @Option(help: "The container image.")
    var image = "docker.io/library/busybox:latest"

    @Option(help: "The pods' cgroup parent.")
    var cgroupParent = "/corral-node-bench"

    @Option(help: "pod: the pod's containers share a PID namespace (the CRI's default); container: one each (kubelet's default).")
    var pidNamespace: PIDNamespace = .container

    @Option(help: "An IPv4 CIDR the warm-up pod's IP should be in; a warning when it is not.")
    var cniSubnetHint: String?

    @Option(help: "Write the report as JSON to this file.")
    var json: String?

    enum PIDNamespace: String, ExpressibleByArgument { case pod, container }

    func validate() throws {
        guard pods >= 1, clients >= 1, steadySeconds >= 1, listCalls >= 1 else {
            throw ValidationError("--pods, --clients, --steady-seconds and --list-calls must be at least 1")
        }
        guard cniSubnetHint.map({ SubnetHint($0) != nil }) ?? true else {
            throw ValidationError("--cni-subnet-hint must be an IPv4 CIDR such as 10.88.0.0/16")
        }
        do { try selector.validate() } catch { throw ValidationError("--shim-match or --pod-process-match: \(error)") }
    }

    private var selector: ServerProcesses.Selector {
        ServerProcesses.Selector(shimPattern: shimMatch, podProcessPattern: podProcessMatch)
    }

    func run() async throws {
        let logRoot = FileManager.default.temporaryDirectory
            .appendingPathComponent("corral-node-bench-\(name)-\(getpid())").path
        defer { try? FileManager.default.removeItem(atPath: logRoot) }
        let parentWasThere = CgroupParent.exists(cgroupParent)
        defer { if !parentWasThere { CgroupParent.removeIfEmpty(cgroupParent) } }
        var fixtures = PodFixtures(benchName: name, image: image, logRoot: logRoot, cgroupParent: cgroupParent)
        fixtures.pidNamespace = pidNamespace == .pod ? .pod : .container
        let scenario = NodeScenario(
            endpoint: endpoint, name: name, fixtures: fixtures, pods: pods, clients: clients,
            steadySeconds: steadySeconds, listContainers: listContainers, listCalls: listCalls,
            pidFile: serverPidfile, selector: selector, restartCommand: restartCommand,
            subnetHint: cniSubnetHint.flatMap(SubnetHint.init))
        let report = try await scenario.run()
        if let json { try report.write(to: json) }
        print(NodeTable.render(baseline: nil, candidate: report))
    }
}
