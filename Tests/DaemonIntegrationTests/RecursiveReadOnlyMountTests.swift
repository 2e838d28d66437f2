import CRIAPI
import CorralSystem
import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// `recursive_read_only`: a host path with a tmpfs mounted inside it, bound read-only. Without
/// the flag the tmpfs stays writable (runc's `ro` is the top mount's only); with it nothing
/// under the path can be written, and what corrald staged for it goes with the container.
@Suite("recursive read-only mounts", .serialized, .enabled(if: DaemonFixture.available))
struct RecursiveReadOnlyMountTests {
    func withHostPath(_ body: (String) async throws -> Void) async throws {
        var template = Array("/tmp/corral-rro-XXXXXX".utf8CString)
        let path = String(cString: template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }!)
        try FileSystem.makeDirectories(path + "/tmpfs")
        try Mounts.mount("none", on: path + "/tmpfs", type: "tmpfs", data: "size=1m")
        defer {
            while Mounts.unmount(path + "/tmpfs") {}
            FileSystem.removeTree(path)
        }
        try await body(path)
    }

    func container(_ daemon: DaemonFixture, pod: String, hostPath: String, recursive: Bool,
                   readonly: Bool = true, propagation: Runtime_V1_MountPropagation = .propagationPrivate)
    async throws -> String {
        var config = daemon.containerConfig(recursive ? "rro" : "ro", ["sleep", "3600"])
        config.mounts = [.with {
            $0.hostPath = hostPath
            $0.containerPath = "/mnt"
            $0.readonly = readonly
            $0.recursiveReadOnly = recursive
            $0.propagation = propagation
        }]
        return try await daemon.runtime.createContainer(.with {
            $0.podSandboxID = pod
            $0.config = config
            $0.sandboxConfig = daemon.podConfig("mounts")
        }).containerID
    }

    func touch(_ daemon: DaemonFixture, _ id: String, _ path: String) async throws -> String {
        let result = try await daemon.runtime.execSync(.with {
            $0.containerID = id
            $0.cmd = ["sh", "-c", "touch \(path) 2>&1 && echo written"]
            $0.timeout = 10
        })
        return String(decoding: result.stdout, as: UTF8.self)
    }

    @Test("every handler announces it; with it the submount is read-only too, without it only the top")
    func recursiveAndNot() async throws {
        try await DaemonFixture.with { daemon in
            let handlers = try await daemon.runtime.status(.init()).runtimeHandlers
            #expect(handlers.contains { $0.name == "" && $0.features.recursiveReadOnlyMounts }, "\(handlers)")
            try await withHostPath { hostPath in
                let pod = try await daemon.runPod("mounts")
                let plain = try await container(daemon, pod: pod, hostPath: hostPath, recursive: false)
                let recursive = try await container(daemon, pod: pod, hostPath: hostPath, recursive: true)
                for id in [plain, recursive] { _ = try await daemon.runtime.startContainer(.with { $0.containerID = id }) }
                #expect(try await touch(daemon, plain, "/mnt/top").contains("Read-only file system"))
                #expect(try await touch(daemon, plain, "/mnt/tmpfs/below") == "written\n")
                #expect(try await touch(daemon, recursive, "/mnt/top").contains("Read-only file system"))
                let below = try await touch(daemon, recursive, "/mnt/tmpfs/below2")
                #expect(below.contains("Read-only file system"), "\(below)")
                // The host's own tmpfs stays writable: only the copy is read-only.
                #expect(FileManager.default.createFile(atPath: hostPath + "/tmpfs/host", contents: Data()))
                // Once started, corrald holds no copy: the host can unmount its tmpfs and remove
                // the dir while the container runs (critest's cleanup does), which a copy left
                // mounted would refuse with EBUSY.
                #expect(daemon.mounts().filter { $0.contains("/rro/") } == [])
                #expect(Mounts.unmount(hostPath + "/tmpfs"))
                #expect(rmdir(hostPath + "/tmpfs") == 0, "errno \(errno)")
                #expect(try await touch(daemon, recursive, "/mnt/still").contains("Read-only file system"))
                _ = try await daemon.runtime.removeContainer(.with { $0.containerID = recursive })
                _ = try await daemon.runtime.stopPodSandbox(.with { $0.podSandboxID = pod })
                _ = try await daemon.runtime.removePodSandbox(.with { $0.podSandboxID = pod })
                #expect(daemon.leftovers() == [])
            }
        }
    }

    @Test("refused without readonly or with propagation, naming the mount, and leaving nothing")
    func refused() async throws {
        try await DaemonFixture.with { daemon in
            try await withHostPath { hostPath in
                let pod = try await daemon.runPod("mounts")
                for (readonly, propagation, words) in [(false, Runtime_V1_MountPropagation.propagationPrivate, "needs readonly"),
                                                       (true, .propagationHostToContainer, "conflicts with propagation"),
                                                       (true, .propagationBidirectional, "conflicts with propagation")] {
                    let error = await #expect(throws: (any Error).self) {
                        _ = try await container(daemon, pod: pod, hostPath: hostPath, recursive: true,
                                                readonly: readonly, propagation: propagation)
                    }
                    let text = "\(String(describing: error))"
                    #expect(text.contains("invalidArgument") && text.contains("mounts[0]") && text.contains(words), "\(text)")
                }
                #expect(try await daemon.runtime.listContainers(.init()).containers.isEmpty)
                #expect(daemon.mounts().filter { $0.contains("/rro/") } == [])
                _ = try await daemon.runtime.stopPodSandbox(.with { $0.podSandboxID = pod })
                _ = try await daemon.runtime.removePodSandbox(.with { $0.podSandboxID = pod })
            }
        }
    }
}
