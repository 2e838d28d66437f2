import ArgumentParser

/// `corralctl doctor`: checks that this host can run corrald's pods, and says how to fix what
/// cannot. Exits 1 when anything fails.
struct DoctorCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "doctor",
        abstract: "Check the host: privileges, kernel features, cgroups, runtimes, CNI, corrald, OOM scores, forwarding.",
        discussion: "Each check is OK, WARN or FAIL with one line of explanation and, when needed, the fix. Exit status 1 if any check fails.")

    @OptionGroup var global: GlobalOptions

    @Option(help: "Output format: table or json.")
    var output: OutputFormat = .table

    func run() async throws {
        let checks = Doctor.checks(await HostFacts.gather(global))
        switch output {
        case .table: print(DoctorReport.table(checks))
        case .json: print(try DoctorReport.json(checks))
        }
        let code = DoctorReport.exitCode(checks)
        if code != 0 { throw ExitCode(code) }
    }
}

enum Doctor {
    /// Every check, in the order an operator fixes things: privileges and kernel first, then
    /// what is built on them, corrald last.
    static func checks(_ facts: HostFacts) -> [DoctorCheck] {
        var checks = [
            KernelChecks.root(uid: facts.uid),
            DaemonChecks.config(path: facts.configPath, exists: facts.configExists, error: facts.configError),
            KernelChecks.namespaces(present: facts.namespaces),
            KernelChecks.overlay(filesystems: facts.filesystems, moduleAvailable: facts.overlayModule),
            KernelChecks.seccomp(status: facts.procStatus, library: facts.libseccomp),
            CgroupChecks.layout(facts.cgroups, unifiedControllers: facts.unifiedControllers),
            CgroupChecks.driver(facts.cgroupDriver, systemdBooted: facts.systemdBooted),
        ]
        checks += facts.runtimes.map {
            RuntimeChecks.runtime($0, cgroups: facts.cgroups, unifiedControllers: facts.unifiedControllers)
        }
        checks += [
            CNIChecks.network(facts.cni),
            NodeChecks.oomScoreAdj(status: facts.procStatus, ownScore: facts.ownOOMScore, restrict: facts.restrictOOMScoreAdj),
            NodeChecks.ipForward(facts.ipForward),
            DaemonChecks.socket(facts.socket),
        ]
        return checks
    }
}
