import CorralSystem
import Foundation
import ShimNetwork

/// Time from CreateSandbox to a running container (StartSandbox, Task Create, Task Start),
/// next to a bare `runc create` + `runc start` of the same kind of bundle in the same run.
enum PodStartBench {
    static func run(count: Int, shim: String, root: String, cniDir: String) async throws {
        var podTimes: [Double] = []
        var sandboxTimes: [Double] = []
        // CreateSandbox and StartSandbox in two calls, as corrald sent them before `start`, on
        // alternate pods: the one hop it saved, measured in the same run.
        var twoCallSandboxTimes: [Double] = []
        var runcTimes: [Double] = []
        var cniTimes: [Double] = []
        var netnsTimes: [Double] = []
        var mountTimes: [Double] = []
        for i in 0..<count {
            // The shim itself is started outside the measured span, as kubelet's pod start
            // would find it already forked by `start`; spawning it is measured separately below.
            var pod = BenchPod(shimBinary: shim, root: root, id: "start-\(i)")
            try pod.startShim()
            do {
                try await settle()
                let started = Clock.monotonicNanos
                let inOneCall = i % 2 == 0
                try await pod.runSandbox(cniDir: cniDir, inOneCall: inOneCall)
                if inOneCall {
                    sandboxTimes.append(Double(Clock.monotonicNanos - started) / 1e6)
                } else {
                    twoCallSandboxTimes.append(Double(Clock.monotonicNanos - started) / 1e6)
                }
                // Writing the bundle is the daemon's work, done before it calls the shim; the bare
                // runc below is not timed with it either.
                let bundleWriting = try await pod.runContainer("sleep", ["sleep", "3600"])
                podTimes.append(Double(Clock.monotonicNanos - started - bundleWriting) / 1e6)

                // Bare runc on the same kind of bundle, joining the same pod's namespaces (a container
                // of this pod), its overlay mounted by us and timed apart.
                let (bundle, mount) = try pod.bundle("bare", ["sleep", "3600"], joinPod: true)
                let m0 = Clock.monotonicNanos
                try Mounts.mount("overlay", on: bundle + "/rootfs", type: "overlay", data: mount.options.joined(separator: ","))
                mountTimes.append(Double(Clock.monotonicNanos - m0) / 1e6)
                let runcRoot = root + "/runc"
                let id = "bare-\(i)"
                try await settle()
                let t0 = Clock.monotonicNanos
                _ = try Command.blockingRun("/usr/sbin/runc", ["--root", runcRoot, "create", "--bundle", bundle, id])
                _ = try Command.blockingRun("/usr/sbin/runc", ["--root", runcRoot, "start", id])
                runcTimes.append(Double(Clock.monotonicNanos - t0) / 1e6)
                _ = try Command.blockingRun("/usr/sbin/runc", ["--root", runcRoot, "delete", "--force", id])
                Mounts.unmount(bundle + "/rootfs")
            } catch {
                // A failed step must not leave this pod's shim, namespaces and containers running.
                _ = try? Command.blockingRun("/usr/sbin/runc", ["--root", root + "/runc", "delete", "--force", "bare-\(i)"])
                Mounts.unmount(root + "/bundles/start-\(i)-bare/rootfs")
                await pod.shutdown()
                throw error
            }
            await pod.shutdown()
        }
        // The same CNI plugins (loopback, then the bridge list) run directly on a namespace
        // made by `ip netns add`: what any runtime pays for the network.
        let list = try CNINetworkList.load(fromDirectory: cniDir)
        let client = CNIClient(binDirectories: ["/usr/lib/cni"])
        for i in 0..<count {
            let name = "corral-bench-cni-\(i)"
            let n0 = Clock.monotonicNanos
            _ = try Command.blockingRun("/sbin/ip", ["netns", "add", name])
            netnsTimes.append(Double(Clock.monotonicNanos - n0) / 1e6)
            let network = CNIPodNetwork(containerID: name, netnsPath: "/run/netns/" + name, podName: name,
                                        podNamespace: "bench", podUID: name)
            let t0 = Clock.monotonicNanos
            let result = try await client.setUp(network: list, pod: network)
            cniTimes.append(Double(Clock.monotonicNanos - t0) / 1e6)
            try await client.tearDown(network: list, pod: network, result: result)
            _ = try Command.blockingRun("/sbin/ip", ["netns", "del", name])
        }
        // What `corral-shim start` costs on its own (fork, exec, bind, announce).
        var spawnTimes: [Double] = []
        for i in 0..<count {
            var pod = BenchPod(shimBinary: shim, root: root, id: "spawn-\(i)")
            let t0 = Clock.monotonicNanos
            try pod.startShim()
            spawnTimes.append(Double(Clock.monotonicNanos - t0) / 1e6)
            await pod.shutdown()
        }
        let pod = median(podTimes), sandbox = median(sandboxTimes), runc = median(runcTimes)
        let cni = median(cniTimes), spawn = median(spawnTimes), netns = median(netnsTimes), mount = median(mountTimes)
        print(String(format: "pod start (CreateSandbox+StartSandbox, Task Create+Start; not the bundle's writing), median of %d: %.1f ms", count, pod))
        print(String(format: "  of which the sandbox (namespaces + CNI), CreateSandbox with start, median of %d: %.1f ms",
                     sandboxTimes.count, sandbox))
        print(String(format: "  the sandbox as CreateSandbox then StartSandbox, median of %d: %.1f ms",
                     twoCallSandboxTimes.count, median(twoCallSandboxTimes)))
        print(String(format: "bare runc create+start, median of %d: %.1f ms", count, runc))
        print(String(format: "CNI loopback + bridge ADD run directly, median of %d: %.1f ms", count, cni))
        print(String(format: "the rootfs overlay mount (a mount(2) call), median of %d: %.1f ms", count, mount))
        print(String(format: "a network namespace made by `ip netns add`, median of %d: %.1f ms", count, netns))
        print(String(format: "corral-shim start (spawn to serving, before the span above), median of %d: %.1f ms", count, spawn))
        print(String(format: "shim overhead above runc + CNI: %.1f ms; above runc + CNI + netns creation + rootfs mount: %.1f ms",
                     pod - runc - cni, pod - runc - cni - netns - mount))
    }

    /// Waits until cgroup migrations are cold again before a timed span. `runc create` moves the
    /// container's init into its cgroups by pid, and on cgroup v1 the first such move waits for an
    /// RCU grace period (10–20 ms here) unless another move ended within the last grace period or
    /// so. Timed right after the pod's own container started, bare runc would get that move for
    /// free while the pod paid it: both spans start cold instead.
    static func settle() async throws {
        try await Task.sleep(for: .milliseconds(300))
    }

    static func median(_ values: [Double]) -> Double {
        let sorted = values.sorted()
        return sorted.isEmpty ? 0 : sorted[sorted.count / 2]
    }
}
