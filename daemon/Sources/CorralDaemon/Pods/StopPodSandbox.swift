import CRIAPI
import Logging
import ShimAPI

extension CRIService {
    /// Kills every container at once (as containerd does: kubelet stopped them gracefully
    /// before), releases the network and marks the pod NOTREADY. Stopping what is already
    /// stopped, or gone, succeeds.
    func stopPodSandbox(_ request: Runtime_V1_StopPodSandboxRequest) async throws(CRIError) -> Runtime_V1_StopPodSandboxResponse {
        let sandbox: SandboxEntry
        do {
            sandbox = try await registry.sandbox(request.podSandboxID)
        } catch where error.code == .notFound {
            return .init()
        }
        try await stop(sandbox)
        return .init()
    }

    func stop(_ sandbox: SandboxEntry) async throws(CRIError) {
        for container in await registry.containers(inSandbox: sandbox.id) where container.state == .containerRunning {
            try await stopContainer(container, timeout: 0)
        }
        if let handle = await bestEffort("reaching the shim of a pod to stop", ["pod": "\(sandbox.id)"], {
            try await shim(of: sandbox)
        }) {
            _ = try await handle.call(SandboxMethods.stopSandbox, .with {
                $0.sandboxID = sandbox.id
                $0.timeoutSecs = 0
            }, timeout: max(settings.timeouts.call, .seconds(30)))
        } else {
            // The shim is gone: what it ran is gone with it, and `delete` releases the rest.
            try await markShimLost(sandbox.id)
            _ = await shims.deleteLeftovers(podID: sandbox.id)
        }
        podFiles.unmountShm(pod: sandbox.id)
        try await registry.update(sandbox: sandbox.id) {
            $0.state = .sandboxNotready
            $0.stopped = true
        }
    }

    /// Removes a stopped pod (stopping it first if needed) with all its containers, and lets
    /// the shim exit. Removing what is gone succeeds.
    func removePodSandbox(_ request: Runtime_V1_RemovePodSandboxRequest) async throws(CRIError) -> Runtime_V1_RemovePodSandboxResponse {
        let sandbox: SandboxEntry
        do {
            sandbox = try await registry.sandbox(request.podSandboxID)
        } catch where error.code == .notFound {
            return .init()
        }
        if sandbox.state == .sandboxReady || !sandbox.stopped {
            try await stop(sandbox)
        }
        // Each removal is a `runc delete` in the shim: side by side, not one after another.
        let failures = await withTaskGroup(of: CRIError?.self) { group in
            for container in await registry.containers(inSandbox: sandbox.id) {
                group.addTask {
                    do throws(CRIError) { try await self.remove(container) } catch { return error }
                    return nil
                }
            }
            var failures: [CRIError] = []
            for await failure in group { if let failure { failures.append(failure) } }
            return failures
        }
        if let first = failures.first { throw first }
        if let handle = await shims.handle(sandbox.id) {
            await bestEffort("shutting a pod's shim down", ["pod": "\(sandbox.id)"]) {
                try await handle.call(SandboxMethods.shutdownSandbox, .with { $0.sandboxID = sandbox.id })
            }
        }
        await shims.forget(sandbox.id)
        await waitForShimExit(sandbox)
        _ = await shims.deleteLeftovers(podID: sandbox.id)
        podFiles.remove(pod: sandbox.id)
        try await registry.remove(sandbox: sandbox.id)
        logger.info("pod sandbox removed", metadata: ["pod": "\(sandbox.id)"])
        return .init()
    }

    /// The pod's shim died: the pod is NOTREADY and every container that ran in it has exited
    /// (with no exit code to tell, as containerd reports a task it lost: 255, Unknown).
    func markShimLost(_ podID: String) async throws(CRIError) {
        let now = Self.now
        for container in await registry.containers(inSandbox: podID) where container.state != .containerExited {
            try await registry.update(container: container.id) {
                if $0.state == .containerRunning {
                    $0.exited(code: 255, at: now, oomKilled: false)
                    $0.reason = "Unknown"
                    $0.message = "the pod's shim exited"
                } else {
                    $0.state = .containerExited
                    $0.finishedAt = now
                    $0.reason = "Unknown"
                }
            }
        }
        try await registry.update(sandbox: podID) { $0.state = .sandboxNotready }
    }
}
