import CorralSystem
import Foundation
import ShimAPI
import ShimContract
import TTRPC

/// One pod for a benchmark: a shim, a CNI bridge of its own, busybox containers on overlays.
struct BenchPod {
    static let image = "/tmp/corral-bench-busybox"
    static let bridge = "crlpodbench0"

    let shimBinary: String
    let root: String
    let id: String
    var client: Client?
    var shimPID: Int32 = 0
    var namespaces = Corral_Shim_V1_NamespacePaths()

    var stateDir: String { root + "/pods/" + id }
    var socketDir: String { root + "/s" }

    /// The busybox rootfs shared as every container's lower layer.
    static func prepareImage() throws {
        if FileManager.default.fileExists(atPath: image + "/bin/sh") { return }
        for dir in ["bin", "proc", "dev", "sys", "tmp", "etc"] {
            try FileManager.default.createDirectory(atPath: image + "/" + dir, withIntermediateDirectories: true)
        }
        try FileManager.default.copyItem(atPath: "/bin/busybox", toPath: image + "/bin/busybox")
        for applet in ["sh", "sleep", "true"] {
            try FileManager.default.createSymbolicLink(atPath: image + "/bin/" + applet, withDestinationPath: "busybox")
        }
    }

    /// A bridge conflist of the benchmark's own, on a /24 no test uses. Neither the name nor the
    /// subnet is shared with bench/cri-latency (crlbench0, 10.219.0.0/16), which may run at the
    /// same time on a shared machine: the two would take each other's bridge.
    static func writeCNIConfig(root: String) throws -> String {
        let dir = root + "/cni"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        try """
            {"cniVersion": "1.0.0", "name": "corral-bench", "plugins": [
              {"type": "bridge", "bridge": "\(bridge)", "isGateway": true, "ipMasq": false,
               "ipam": {"type": "host-local", "subnet": "10.216.0.0/24", "dataDir": "\(root)/ipam"}}]}
            """.write(toFile: dir + "/10-bench.conflist", atomically: true, encoding: .utf8)
        return dir
    }

    mutating func startShim() throws {
        let out = try FileDescriptor.pipe()
        let pid = try Spawn.run(shimBinary, arguments: [shimBinary, "start", "--id", id, "--state-dir", stateDir, "--socket-dir", socketDir],
                                stdio: .init(stdout: out.write))
        out.write.close()
        var bytes: [UInt8] = []
        while let chunk = try? out.read.read(upTo: 4096), !chunk.isEmpty { bytes += chunk }
        out.read.close()
        guard try ProcessControl.wait(for: pid) == .exited(0),
              let bootstrap = Bootstrap(startOutput: String(decoding: bytes, as: UTF8.self)) else {
            throw BenchError("corral-shim start failed")
        }
        client = try Client.connect(bootstrap.address)
        shimPID = bootstrap.pid
    }

    /// CreateSandbox and StartSandbox as corrald sends them: one call (`start`), or, as before
    /// that existed, two.
    mutating func runSandbox(cniDir: String, inOneCall: Bool = true) async throws {
        var create = Corral_Shim_V1_CreateSandboxRequest()
        create.sandboxID = id
        create.hostname = id
        create.metadata.name = id
        create.metadata.namespace = "bench"
        create.metadata.uid = id
        create.network.cniConfDir = cniDir
        create.network.cniBinDirs = ["/usr/lib/cni"]
        create.start = inOneCall
        let created = try await client!.call(SandboxMethods.createSandbox, create, timeout: .seconds(30))
        let started = inOneCall ? created.started
            : try await client!.call(SandboxMethods.startSandbox, .with { $0.sandboxID = id }, timeout: .seconds(30))
        namespaces = started.namespaces
    }

    /// Writes a bundle for `args` and returns it with its overlay mount.
    func bundle(_ name: String, _ args: [String], joinPod: Bool = true) throws -> (String, Corral_Shim_V1_Mount) {
        let bundle = root + "/bundles/" + id + "-" + name
        for dir in ["rootfs", "upper", "work"] {
            try FileManager.default.createDirectory(atPath: bundle + "/" + dir, withIntermediateDirectories: true)
        }
        var namespaces: [[String: Any]] = [["type": "mount"], ["type": "pid"]]
        for (type, path) in [("network", self.namespaces.network), ("ipc", self.namespaces.ipc), ("uts", self.namespaces.uts)] {
            namespaces.append(joinPod && !path.isEmpty ? ["type": type, "path": path] : ["type": type])
        }
        let config: [String: Any] = [
            "ociVersion": "1.0.2",
            "process": ["terminal": false, "user": ["uid": 0, "gid": 0], "args": args, "env": ["PATH=/bin"], "cwd": "/",
                        "noNewPrivileges": true] as [String: Any],
            "root": ["path": "rootfs"],
            "mounts": [["destination": "/proc", "type": "proc", "source": "proc"],
                       ["destination": "/dev", "type": "tmpfs", "source": "tmpfs", "options": ["nosuid", "mode=755"]]],
            "linux": ["namespaces": namespaces, "cgroupsPath": "/corral-bench-\(id)-\(name)"] as [String: Any],
        ]
        try JSONSerialization.data(withJSONObject: config).write(to: URL(fileURLWithPath: bundle + "/config.json"))
        var mount = Corral_Shim_V1_Mount()
        mount.type = "overlay"
        mount.options = ["lowerdir=\(Self.image)", "upperdir=\(bundle)/upper", "workdir=\(bundle)/work"]
        return (bundle, mount)
    }

    /// Creates and starts a container; returns how long writing its bundle took, the caller's
    /// work rather than the shim's.
    @discardableResult
    func runContainer(_ name: String, _ args: [String]) async throws -> UInt64 {
        let written = Clock.monotonicNanos
        let (bundle, mount) = try bundle(name, args)
        let writing = Clock.monotonicNanos - written
        var create = Corral_Shim_V1_CreateTaskRequest()
        create.id = name
        create.bundle = bundle
        create.rootfs = [mount]
        create.logPath = root + "/logs/" + id + "-" + name + ".log"
        _ = try await client!.call(TaskMethods.create, create, timeout: .seconds(30))
        _ = try await client!.call(TaskMethods.start, .with { $0.id = name }, timeout: .seconds(30))
        return writing
    }

    func shutdown() async {
        _ = try? await client?.call(SandboxMethods.shutdownSandbox, .with { $0.sandboxID = id }, timeout: .seconds(30))
        client?.close()
    }
}

struct BenchError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
