import CRIAPI
import Logging
import CorralSystem
import ShimAPI

extension CRIService {
    /// Routes the shims' event streams into the registry.
    func attachToShims() async {
        await shims.setSinks(
            event: { [weak self] pod, event in await self?.apply(event, from: pod) },
            loss: { [weak self] pod in await self?.shimStreamEnded(pod) })
    }

    /// A container's exit (not an exec's) becomes its EXITED state, with OOMKilled when the
    /// kernel's OOM killer ended it.
    func apply(_ event: Corral_Shim_V1_Envelope, from pod: String) async {
        switch event.event {
        case .taskExit(let exit) where exit.execID.isEmpty:
            let at = exit.hasExitedAt ? Self.nanos(exit.exitedAt) : Self.now
            await bestEffort("recording an exit", ["container": "\(exit.containerID)", "code": "\(exit.exitStatus)"]) {
                try await registry.update(container: exit.containerID) {
                    guard $0.state != .containerExited else { return }
                    $0.exited(code: Int32(bitPattern: exit.exitStatus), at: at, oomKilled: exit.oomKilled)
                }
            }
            cpuSamples.forget(exit.containerID)
        case .taskOom(let oom):
            await bestEffort("recording an OOM kill", ["container": "\(oom.containerID)"]) {
                try await registry.update(container: oom.containerID) { $0.reason = "OOMKilled" }
            }
        default:
            break
        }
    }

    /// The event stream of a shim ended without the daemon asking: if the shim is gone, its
    /// pod is NOTREADY and its containers EXITED; if it is alive, connect again.
    func shimStreamEnded(_ pod: String) async {
        guard let sandbox = await registry.existingSandbox(pod) else { return }
        if sandbox.shimPID > 0, shims.isRunning(sandbox.shimPID), !sandbox.shimAddress.isEmpty,
           await bestEffort("reconnecting to a live shim", ["pod": "\(pod)"], {
               try await shims.connect(podID: pod, address: sandbox.shimAddress)
           }) != nil {
            return
        }
        logger.warning("the shim of a pod is gone", metadata: ["pod": "\(pod)", "pid": "\(sandbox.shimPID)"])
        await bestEffort("recording a lost shim's pod as not ready", ["pod": "\(pod)"]) { try await markShimLost(pod) }
    }
}
