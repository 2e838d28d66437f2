import CRIAPI
import Logging
import ShimAPI

extension CRIService {
    /// Stopping a container that is gone succeeds, as the CRI asks of StopContainer (kubelet may
    /// repeat a stop after the container was removed) and as StopPodSandbox already does.
    func stopContainer(_ request: Runtime_V1_StopContainerRequest) async throws(CRIError) -> Runtime_V1_StopContainerResponse {
        let container: ContainerEntry
        do {
            container = try await registry.container(request.containerID)
        } catch where error.code == .notFound && !request.containerID.isEmpty {
            return .init()
        }
        try await stopContainer(container, timeout: request.timeout)
        return .init()
    }

    /// The container's stop signal, then SIGKILL to every process once `timeout` seconds have
    /// passed; returns when the task has exited. Stopping what is not running succeeds.
    func stopContainer(_ container: ContainerEntry, timeout: Int64) async throws(CRIError) {
        guard container.state == .containerRunning,
              let sandbox = await registry.existingSandbox(container.sandboxID) else { return }
        let handle: ShimHandle
        do {
            handle = try await shim(of: sandbox)
        } catch {
            try await markShimLost(sandbox.id)
            return
        }
        if timeout > 0 {
            if try await signal(container, container.stopSignal, all: false, handle: handle) {
                // Still running at the end of the grace period: it gets SIGKILL below.
                if let exit = try? await handle.call(TaskMethods.wait, .with { $0.id = container.id },
                                                     timeout: .seconds(timeout)) {
                    try await recordExit(container.id, exit)
                    return
                }
                // A client that gave up before the grace period ended (its deadline shorter than
                // the grace) has not asked for a kill: kubelet retries, as it does with containerd.
                if Task.isCancelled {
                    throw CRIError(.cancelled, "stopping container \(container.id): the call was given up within the \(timeout)s grace period; the container was signalled but not killed")
                }
            } else {
                return try await settle(container, handle: handle)
            }
        }
        guard try await signal(container, 9, all: true, handle: handle) else {
            return try await settle(container, handle: handle)
        }
        let exit = try await handle.call(TaskMethods.wait, .with { $0.id = container.id },
                                         timeout: max(settings.timeouts.call, .seconds(30)))
        try await recordExit(container.id, exit)
    }

    /// Sends a signal; false when the task had already exited (nothing left to signal).
    private func signal(_ container: ContainerEntry, _ signal: Int32, all: Bool, handle: ShimHandle) async throws(CRIError) -> Bool {
        do {
            _ = try await handle.call(TaskMethods.kill, .with {
                $0.id = container.id
                $0.signal = UInt32(signal)
                $0.all = all
            })
            return true
        } catch where error.code == .notFound || error.code == .failedPrecondition {
            return false
        }
    }

    /// The task is no longer running: record how it ended.
    private func settle(_ container: ContainerEntry, handle: ShimHandle) async throws(CRIError) {
        if let exit = await bestEffort("reading the exit of a stopped container", ["container": "\(container.id)"], {
            try await handle.call(TaskMethods.wait, .with { $0.id = container.id })
        }) {
            try await recordExit(container.id, exit)
        }
    }

    func recordExit(_ id: String, _ exit: Corral_Shim_V1_WaitTaskResponse) async throws(CRIError) {
        let at = exit.hasExitedAt ? Self.nanos(exit.exitedAt) : Self.now
        try await registry.update(container: id) {
            guard $0.state != .containerExited else { return }
            $0.exited(code: Int32(bitPattern: exit.exitStatus), at: at, oomKilled: exit.oomKilled)
        }
    }
}
