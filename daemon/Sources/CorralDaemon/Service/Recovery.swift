import CRIAPI
import CorralSystem
import Logging
import ShimAPI

extension CRIService {
    /// After a restart: every pod's shim is reconnected in parallel (each within the connect
    /// deadline), exits that happened meanwhile are applied, and a pod whose shim is gone
    /// becomes NOTREADY with its containers EXITED, and its leftovers are deleted.
    func recover() async {
        let sandboxes = await registry.allSandboxes
        let started = ContinuousClock.now
        await withTaskGroup(of: Void.self) { group in
            for sandbox in sandboxes {
                group.addTask { await self.recover(sandbox) }
            }
        }
        await sweepUnrecorded()
        let containers = await registry.allContainers.count
        logger.info("recovered", metadata: ["pods": "\(sandboxes.count)", "containers": "\(containers)",
                                            "elapsed": "\(ContinuousClock.now - started)"])
    }

    /// A daemon killed in a RunPodSandbox or CreateContainer may have made a pod's files or a
    /// container's writable layer and bundle and died before recording them: nothing else will
    /// ever remove those. Runs before the CRI socket is served, so nothing is being made meanwhile.
    func sweepUnrecorded() async {
        let pods = Set(await registry.allSandboxes.map(\.id))
        for pod in podFiles.pods() where !pods.contains(pod) {
            logger.info("removing the files of a pod never recorded", metadata: ["pod": "\(pod)"])
            podFiles.unmountShm(pod: pod)
            podFiles.remove(pod: pod)
        }
        let containers = Set(await registry.allContainers.map(\.id))
        let bundles = (try? FileSystem.listDirectory(settings.containersDir)) ?? []
        for container in Set(containerImages.containersWithRootfs() + bundles).subtracting(containers).sorted() {
            logger.info("removing the files of a container never recorded", metadata: ["container": "\(container)"])
            discardFiles(ofContainer: container, bundle: settings.containersDir + "/" + container)
        }
    }

    private func recover(_ sandbox: SandboxEntry) async {
        let alive = sandbox.shimPID > 0 && shims.isRunning(sandbox.shimPID)
        guard alive, !sandbox.shimAddress.isEmpty else {
            if sandbox.state == .sandboxReady || !sandbox.stopped {
                logger.warning("the shim of a pod did not survive", metadata: ["pod": "\(sandbox.id)"])
            }
            let pod: Logger.Metadata = ["pod": "\(sandbox.id)"]
            await bestEffort("recording a lost shim's pod as not ready", pod) { try await markShimLost(sandbox.id) }
            if let failure = await shims.deleteLeftovers(podID: sandbox.id) {
                logger.warning("corral-shim delete failed", metadata: ["pod": "\(sandbox.id)", "error": "\(failure)"])
            }
            podFiles.unmountShm(pod: sandbox.id)
            await bestEffort("recording a lost shim's pod as stopped", pod) {
                try await registry.update(sandbox: sandbox.id) { $0.stopped = true }
            }
            return
        }
        let handle: ShimHandle
        do {
            handle = try await shims.connect(podID: sandbox.id, address: sandbox.shimAddress)
        } catch {
            // Alive but not answering (stopped, or overloaded): its pod's calls will say so, and
            // the next one connects again.
            logger.warning("cannot reach a live shim", metadata: ["pod": "\(sandbox.id)", "error": "\(error)"])
            return
        }
        for container in await registry.containers(inSandbox: sandbox.id) where container.state == .containerRunning {
            do {
                let state = try await handle.call(TaskMethods.state, .with { $0.id = container.id })
                if state.status == .stopped {
                    try await recordExit(container.id, .with {
                        $0.exitStatus = state.exitStatus
                        $0.exitedAt = state.exitedAt
                        $0.oomKilled = state.oomKilled
                    })
                }
            } catch where error.code == .notFound {
                await bestEffort("recording a container its shim lost", ["container": "\(container.id)"]) {
                    try await registry.update(container: container.id) {
                        $0.exited(code: 255, at: Self.now, oomKilled: false)
                        $0.reason = "Unknown"
                        $0.message = "the task was not found in the pod's shim"
                    }
                }
            } catch {
                logger.warning("cannot read a task's state", metadata: ["container": "\(container.id)", "error": "\(error)"])
            }
        }
    }
}
