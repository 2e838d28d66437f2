import CSeccomp
import CorralConfig
import CorralSystem
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Everything `corralctl doctor` looks at, read from this host once; the checks themselves are
/// pure functions of it, so tests feed them other hosts.
struct HostFacts: Sendable {
    var uid: UInt32
    var namespaces: Set<String>
    var filesystems: String
    var overlayModule: Bool
    var procStatus: String
    var libseccomp: String?
    var cgroups: CgroupHost?
    var unifiedControllers: [String]
    var runtimes: [RuntimeProbe]
    var cni: CNIHost
    var socket: DaemonChecks.Socket
    var ownOOMScore: String?
    var restrictOOMScoreAdj: Bool
    var ipForward: String?
    var configPath: String?
    var configExists: Bool
    var configError: String?
    var cgroupDriver: DaemonConfig.CgroupDriver = .cgroupfs
    /// /run/systemd/system exists: systemd is the init system (sd_booted's test).
    var systemdBooted = false

    static func gather(_ global: GlobalOptions) async -> HostFacts {
        var configError: String?
        var config = DaemonConfig()
        do {
            config = try global.daemon.daemonConfig()
        } catch {
            configError = error.description
        }
        let socketPath = (try? global.daemon.endpointAddress.map(Endpoint.socketPath)) ?? config.socket

        var runtimes: [RuntimeProbe] = []
        for (name, runtime) in config.runtimes {
            runtimes.append(await probe(handler: name, runtime, isDefault: name == config.defaultRuntime))
        }
        let cgroups = cgroupHost()
        return HostFacts(
            uid: getuid(),
            namespaces: Set((try? FileSystem.listDirectory("/proc/self/ns")) ?? []),
            filesystems: read("/proc/filesystems") ?? "",
            overlayModule: overlayModuleExists(),
            procStatus: read("/proc/self/status") ?? "",
            libseccomp: LibSeccomp.version,
            cgroups: cgroups,
            unifiedControllers: cgroups?.mode == .hybrid
                ? (read("/sys/fs/cgroup/unified/cgroup.controllers") ?? "").split(whereSeparator: \.isWhitespace).map(String.init)
                : [],
            runtimes: runtimes,
            cni: cniHost(config.cni),
            socket: await socket(socketPath),
            ownOOMScore: read("/proc/self/oom_score_adj")?.trimmingWhitespace,
            restrictOOMScoreAdj: config.restrictOOMScoreAdj,
            ipForward: read("/proc/sys/net/ipv4/ip_forward"),
            configPath: global.daemon.config,
            configExists: FileSystem.exists(global.daemon.config ?? DaemonConfig.defaultPath),
            configError: configError,
            cgroupDriver: config.cgroupDriver,
            systemdBooted: FileSystem.exists("/run/systemd/system"))
    }

    private static func read(_ path: String) -> String? {
        try? FileSystem.readText(path)
    }

    private static func overlayModuleExists() -> Bool {
        guard let release = read("/proc/sys/kernel/osrelease")?.trimmingWhitespace else { return false }
        let base = "/lib/modules/\(release)/kernel/fs/overlayfs/overlay.ko"
        return ["", ".xz", ".zst", ".gz"].contains { FileSystem.exists(base + $0) }
    }

    /// From mountinfo: what is mounted at /sys/fs/cgroup and below is what runc and crun test with
    /// statfs (which Glibc does not export to Swift).
    private static func cgroupHost() -> CgroupHost? {
        read("/proc/self/mountinfo").flatMap(CgroupHost.init(mountinfo:))
    }

    private static func probe(handler: String, _ runtime: DaemonConfig.Runtime, isDefault: Bool) async -> RuntimeProbe {
        let resolved = Spawn.resolve(runtime.path)
        var probe = RuntimeProbe(handler: handler, configuredPath: runtime.path, isDefault: isDefault)
        guard resolved.hasPrefix("/"), access(resolved, X_OK) == 0 else { return probe }
        probe.resolvedPath = resolved
        if let result = try? await Command.run(resolved, arguments: ["--version"]), result.status == .exited(0) {
            probe.versionOutput = result.stdoutText
        }
        return probe
    }

    private static func cniHost(_ cni: DaemonConfig.CNI) -> CNIHost {
        let first = ((try? FileSystem.listDirectory(cni.confDir)) ?? []).filter(CNIHost.isConfigName).sorted().first
        var executables: [String: Set<String>] = [:]
        for dir in cni.binDirs {
            executables[dir] = Set(((try? FileSystem.listDirectory(dir)) ?? []).filter { access(dir + "/" + $0, X_OK) == 0 })
        }
        return CNIHost(confDir: cni.confDir,
                       firstConfig: first.map { ($0, read(cni.confDir + "/" + $0) ?? "") },
                       binDirs: cni.binDirs, executables: executables)
    }

    private static func socket(_ path: String) async -> DaemonChecks.Socket {
        var info = stat()
        guard lstat(path, &info) == 0 else {
            return .init(path: path, exists: false, isSocket: false, mode: 0)
        }
        var socket = DaemonChecks.Socket(path: path, exists: true, isSocket: (info.st_mode & S_IFMT) == S_IFSOCK,
                                         mode: UInt32(info.st_mode & 0o7777))
        guard socket.isSocket else { return socket }
        do {
            let version = try await CRIConnection(socketPath: path, timeout: .seconds(3)).run { cri in
                try await cri.runtime.version(.init(), options: cri.options)
            }
            socket.answer = "\(version.runtimeName) \(version.runtimeVersion)"
        } catch let error as CRIUnreachable {
            socket.error = error.reason
        } catch {
            socket.error = "\(error)"
        }
        return socket
    }
}

/// libseccomp's own version (the library linked, not the headers built against).
enum LibSeccomp {
    static var version: String? {
        guard let version = seccomp_version() else { return nil }
        return "\(version.pointee.major).\(version.pointee.minor).\(version.pointee.micro)"
    }
}
