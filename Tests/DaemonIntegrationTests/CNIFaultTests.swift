import CRIAPI
import CorralSystem
import Foundation
import GRPCCore
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// A CNI plugin that hangs or crashes after the bridge has already given the pod an address:
/// RunPodSandbox fails in time with the plugin's own words, and the bridge's veth and address,
/// the pod's namespaces, shim and files are all gone; with the plugin fixed, pods start again.
@Suite("CNI plugin faults", .serialized, .enabled(if: DaemonFixture.available))
struct CNIFaultTests {
    /// A plugin for the end of the chain (or its start): on ADD it runs `onAdd`; DEL, CHECK and VERSION succeed.
    static func install(_ daemon: DaemonFixture, _ name: String, first: Bool = false, onAdd: String) throws {
        let script = """
            #!/bin/sh
            cat > /dev/null
            case "$CNI_COMMAND" in
            ADD) \(onAdd) ;;
            VERSION) echo '{"cniVersion":"1.0.0","supportedVersions":["0.4.0","1.0.0"]}' ;;
            esac
            exit 0

            """
        let path = daemon.cniBinDir + "/" + name
        try script.write(toFile: path, atomically: true, encoding: .utf8)
        chmod(path, 0o755)
        let plugin = #"{"type": "\#(name)"}"#
        try daemon.writeNetwork(before: first ? [plugin] : [], appending: first ? [] : [plugin])
    }

    /// Runs a pod that must fail; returns the error and how long the failure took.
    static func failingPod(_ daemon: DaemonFixture, _ name: String) async throws -> (RPCError, Duration) {
        let started = ContinuousClock.now
        do {
            let id = try await daemon.runPod(name)
            throw TestFailure("pod \(id) started through a broken plugin")
        } catch let error as RPCError {
            return (error, ContinuousClock.now - started)
        }
    }

    /// Nothing of the failed pods is left, and with the chain repaired a pod starts and gets an address.
    static func checkNothingLeftAndRecovery(_ daemon: DaemonFixture) async throws {
        try await ChurnTests.sweepAndCheck(daemon, daemon.runtime)
        try daemon.writeNetwork()
        let pod = try await daemon.runPod("repaired")
        let status = try await daemon.runtime.podSandboxStatus(.with { $0.podSandboxID = pod }).status
        #expect(status.state == .sandboxReady && !status.network.ip.isEmpty)
    }

    @Test("a plugin that hangs is killed at [timeouts] cni_plugin with what it started, and the pod fails naming it")
    func aHangingPluginFailsThePodInTime() async throws {
        try await DaemonFixture.with(extraConfig: "cni_plugin = \"2s\"\n") { daemon in
            let childFile = daemon.dir + "/hung-child"
            try Self.install(daemon, "corral-test-hang",
                             onAdd: #"echo "waiting for a lock" >&2; sleep 3600 & echo $! > \#(childFile); wait"#)
            let (error, took) = try await Self.failingPod(daemon, "hung")
            #expect(error.message.contains("plugin type=\"corral-test-hang\" failed (add): did not finish within 2.0 seconds and was killed; it said: waiting for a lock"),
                    "\(error)")
            // The ADD cut off at 2 s, the DELs that undo the chain, the shim stopped.
            #expect(took < .seconds(10), "the failure took \(took)")
            print("a hanging CNI plugin failed RunPodSandbox after \(took) (cni_plugin 2s): \(error.code)")
            let child = try #require(Int32(try FileSystem.readText(childFile).filter(\.isNumber)))
            let state = (try? FileSystem.readText("/proc/\(child)/stat"))?.split(separator: ")").last?.split(separator: " ").first
            #expect(state == nil || state == "Z", "the plugin's child \(child) is still running")
            #expect(try await daemon.runtime.listPodSandbox(.init()).items.isEmpty)
            try await Self.checkNothingLeftAndRecovery(daemon)
        }
    }

    @Test("a plugin that crashes fails the pod with its last words, leaving nothing")
    func aCrashingPluginFailsThePodCleanly() async throws {
        try await DaemonFixture.with { daemon in
            try Self.install(daemon, "corral-test-crash",
                             onAdd: #"echo "unexpected fault address 0x0" >&2; kill -SEGV $$"#)
            let (error, took) = try await Self.failingPod(daemon, "crashed")
            #expect(error.message.contains("plugin type=\"corral-test-crash\" failed (add): netplugin failed"), "\(error)")
            #expect(error.message.contains("unexpected fault address 0x0"), "\(error)")
            #expect(took < .seconds(10), "the failure took \(took)")
            #expect(try await daemon.runtime.listPodSandbox(.init()).items.isEmpty)
            try await Self.checkNothingLeftAndRecovery(daemon)
        }
    }

    @Test("a pod whose start corrald lost while a plugin was adding, removed at once, leaves no address: the undoing waits for the adding")
    func aLostStartRemovedAtOnceLeavesNoLease() async throws {
        try await DaemonFixture.with { daemon in
            // The chain takes two seconds before the bridge leases an address.
            try Self.install(daemon, "corral-test-slow", first: true, onAdd: "sleep 2")
            let config = daemon.podConfig("lost")
            let runtime = daemon.runtime
            let start = Task { try await runtime.runPodSandbox(.with { $0.config = config }) }
            try await Task.sleep(for: .milliseconds(700))
            await daemon.crash()
            _ = try? await start.value
            try await daemon.start()
            // The pod's shim is still adding; kubelet removes what it never saw started.
            let pods = try await daemon.runtime.listPodSandbox(.init()).items
            #expect(pods.count == 1, "\(pods)")
            for pod in pods {
                _ = try await daemon.runtime.stopPodSandbox(.with { $0.podSandboxID = pod.id })
                _ = try await daemon.runtime.removePodSandbox(.with { $0.podSandboxID = pod.id })
            }
            try await Task.sleep(for: .seconds(2.5))
            try await Self.checkNothingLeftAndRecovery(daemon)
        }
    }
}
