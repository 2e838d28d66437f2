import CorralSpec
import CRIAPI
import Foundation
import OCISpec
import Testing
import TestSupport

/// The generated spec run by the real runc: the proof that runc accepts what we write.
@Suite("runc runs generated specs", .serialized, .enabled(if: RuncBundle.available, "needs root, runc and /bin/busybox"))
struct RuncTests {
    @Test func minimalContainer() throws {
        let bundle = try RuncBundle()
        let result = try bundle.run(bundle.input { _ in })
        #expect(result.status == 0, "runc said: \(result.output)")
    }

    @Test func confinedContainerWithEverything() throws {
        let bundle = try RuncBundle()
        let data = try bundle.directory.directory("data")
        let input = bundle.input { config in
            config.linux.securityContext.seccompProfilePath = "runtime/default"
            config.linux.securityContext.noNewPrivs = true
            config.linux.securityContext.readonlyRootfs = true
            config.linux.securityContext.runAsUser = int64Value(1000)
            config.linux.securityContext.supplementalGroups = [2000]
            config.linux.securityContext.capabilities.dropCapabilities = ["NET_RAW"]
            config.linux.securityContext.capabilities.addCapabilities = ["NET_ADMIN"]
            config.linux.resources.memoryLimitInBytes = 64 << 20
            config.linux.resources.cpuShares = 256
            config.linux.resources.cpuQuota = 50000
            config.linux.resources.cpuPeriod = 100_000
            config.mounts = [criMount("/data", data, readonly: true)]
            var device = Runtime_V1_Device()
            device.containerPath = "/dev/mynull"
            device.hostPath = "/dev/null"
            device.permissions = "rw"
            config.devices = [device]
        }
        let result = try bundle.run(input)
        #expect(result.status == 0, "runc said: \(result.output)")
    }

    @Test func privilegedContainer() throws {
        let bundle = try RuncBundle()
        var input = bundle.input { $0.linux.securityContext.privileged = true }
        input.sandboxConfig.linux.securityContext.privileged = true
        let result = try bundle.run(input)
        #expect(result.status == 0, "runc said: \(result.output)")
    }

    @Test(arguments: [("unconfined", true), ("runtime/default", false)])
    func seccompProfileIsEnforced(profile: String, succeeds: Bool) throws {
        // unshare(CLONE_NEWUSER) needs no capability, and RuntimeDefault refuses unshare(2)
        // without CAP_SYS_ADMIN: a failure here comes from the filter runc installed.
        let bundle = try RuncBundle()
        let input = bundle.input {
            $0.linux.securityContext.seccompProfilePath = profile
            $0.command = ["/bin/busybox", "unshare", "-U", "/bin/busybox", "true"]
        }
        let result = try bundle.run(input)
        #expect((result.status == 0) == succeeds, "runc said: \(result.output)")
    }
}

/// A bundle directory with a one-binary rootfs (static busybox), its runc state root and
/// cgroup, all removed afterwards.
final class RuncBundle {
    static let runc = ["/usr/sbin/runc", "/usr/bin/runc", "/usr/local/sbin/runc", "/usr/local/bin/runc"]
        .first { FileManager.default.isExecutableFile(atPath: $0) }
    static let busybox = "/bin/busybox"

    static var available: Bool {
        getuid() == 0 && runc != nil && FileManager.default.isExecutableFile(atPath: busybox)
    }

    let directory: TemporaryDirectory
    let id: String
    let cgroupsPath: String
    var bundle: String { directory.path + "/bundle" }
    var stateRoot: String { directory.path + "/state" }

    init() throws {
        directory = try TemporaryDirectory()
        let suffix = UUID().uuidString.prefix(8).lowercased()
        id = "corral-spec-test-" + suffix
        cgroupsPath = "/corral-spec-test-" + suffix
        let rootfs = try directory.directory("bundle/rootfs")
        try directory.directory("bundle/rootfs/bin")
        try directory.directory("state")
        try FileManager.default.copyItem(atPath: Self.busybox, toPath: rootfs + "/bin/busybox")
        try FileManager.default.createSymbolicLink(atPath: rootfs + "/bin/sh", withDestinationPath: "busybox")
    }

    deinit {
        guard let runc = Self.runc else { return }
        _ = try? Self.execute(runc, ["--root", stateRoot, "delete", "--force", id])
        // runc removes the cgroups it made; this is for a run that died half-way.
        let controllers = (try? FileManager.default.contentsOfDirectory(atPath: "/sys/fs/cgroup")) ?? []
        for hierarchy in ["/sys/fs/cgroup"] + controllers.map({ "/sys/fs/cgroup/" + $0 }) {
            rmdir(hierarchy + cgroupsPath)
        }
    }

    /// The fixture's request with new namespaces (no pod to join), this bundle's cgroup and the
    /// host's real capabilities and oom_score_adj.
    func input(_ configure: (inout Runtime_V1_ContainerConfig) -> Void) -> ContainerSpecInput {
        var input = makeInput(image: ImageExecutionConfig(cmd: ["/bin/busybox", "true"]), imageFiles: [:],
                              container: configure)
        input.namespaces = PodNamespacePaths()
        input.podFiles = PodFileMounts(hosts: "/etc/hosts", resolvConf: "/etc/resolv.conf", hostname: "/etc/hostname")
        input.cgroupsPath = cgroupsPath
        input.host = HostFacts.detect()
        let score = (try? String(contentsOfFile: "/proc/self/oom_score_adj", encoding: .utf8)) ?? "0"
        input.daemonOOMScoreAdj = Int(score.trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0
        return input
    }

    func run(_ input: ContainerSpecInput) throws -> (status: Int32, output: String) {
        let spec = try makeContainerSpec(input)
        try Data(try spec.jsonBytes(pretty: true)).write(to: URL(fileURLWithPath: bundle + "/config.json"))
        return try Self.execute(Self.runc!, ["--root", stateRoot, "run", "--bundle", bundle, id])
    }

    static func execute(_ path: String, _ arguments: [String]) throws -> (status: Int32, output: String) {
        let child = Foundation.Process()
        child.executableURL = URL(fileURLWithPath: path)
        child.arguments = arguments
        let pipe = Pipe()
        child.standardOutput = pipe
        child.standardError = pipe
        child.standardInput = FileHandle.nullDevice
        try child.run()
        let output = pipe.fileHandleForReading.readDataToEndOfFile()
        child.waitUntilExit()
        return (child.terminationStatus, String(decoding: output, as: UTF8.self))
    }
}
