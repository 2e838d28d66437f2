import CRIAPI
import CorralSystem
import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Config keys that reach the pods: `[cni] max_conf_num` and `[runtimes.NAME] root`.
@Suite("config keys that reach the pods", .serialized, .enabled(if: DaemonFixture.available))
struct ConfigWiringTests {
    @Test("max_conf_num = 2: a pod joins both networks, eth0 first, and leaves both")
    func twoNetworks() async throws {
        try await DaemonFixture.with(maxConfNum: 2) { daemon in
            let pod = try await daemon.runPod("twice")
            let container = try await daemon.runContainer(pod: pod, "main", ["sleep", "3600"])
            let addresses = try await daemon.runtime.execSync(.with { $0.containerID = container; $0.cmd = ["ip", "-o", "-4", "addr"]; $0.timeout = 10 })
            let text = String(decoding: addresses.stdout, as: UTF8.self)
            let prefix = { (subnet: String) in subnet.split(separator: ".").prefix(3).joined(separator: ".") + "." }
            #expect(text.split(separator: "\n").contains { $0.contains("eth0") && $0.contains(prefix(daemon.subnet)) },
                    "\(text)")
            #expect(text.split(separator: "\n").contains { $0.contains("eth1") && $0.contains(prefix(daemon.secondSubnet)) }, "\(text)")
            // The pod's address is its first network's.
            let status = try await daemon.runtime.podSandboxStatus(.with { $0.podSandboxID = pod }).status
            #expect(status.network.ip.hasPrefix(prefix(daemon.subnet)), "\(status.network)")
            _ = try await daemon.runtime.stopPodSandbox(.with { $0.podSandboxID = pod })
            _ = try await daemon.runtime.removePodSandbox(.with { $0.podSandboxID = pod })
            #expect(daemon.leftovers() == [])
        }
    }

    @Test("[runtimes.runc] root: runc keeps its containers there, and a dead shim's are deleted from there")
    func runtimeRoot() async throws {
        var template = Array("/tmp/corral-runc-root-XXXXXX".utf8CString)
        let root = String(cString: template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }!)
        defer { FileSystem.removeTree(root) }
        try await DaemonFixture.with(runtimeRoot: root) { daemon in
            let pod = try await daemon.runPod("rooted")
            let container = try await daemon.runContainer(pod: pod, "main", ["sleep", "3600"])
            #expect(FileSystem.exists(root + "/" + container + "/state.json"))
            let exec = try await daemon.runtime.execSync(.with { $0.containerID = container; $0.cmd = ["echo", "ok"]; $0.timeout = 10 })
            #expect(exec.stdout == Data("ok\n".utf8))
            // The shim dies: `corral-shim delete` finds the container in that root too.
            kill(try await daemon.shimPID(of: pod), SIGKILL)
            #expect(await eventually { (try? await daemon.containerState(container).state) == .containerExited })
            _ = try await daemon.runtime.stopPodSandbox(.with { $0.podSandboxID = pod })
            _ = try await daemon.runtime.removePodSandbox(.with { $0.podSandboxID = pod })
            #expect(!FileSystem.exists(root + "/" + container))
            #expect(daemon.leftovers() == [])
        }
    }
}
