import CRIAPI
import CorralSystem
import Foundation
import ShimAPI

extension CRIService {
    /// kubelet's forensic checkpoint (its `/checkpoint` API): the pod's shim pauses the running
    /// container, has CRIU dump it through the OCI runtime, records its files, resumes it and
    /// writes the archive at `location`, an absolute path kubelet chose
    /// (`/var/lib/kubelet/checkpoints/checkpoint-<pod>_<namespace>-<container>-<time>.tar`).
    func checkpointContainer(_ request: Runtime_V1_CheckpointContainerRequest) async throws(CRIError) -> Runtime_V1_CheckpointContainerResponse {
        let container = try await registry.container(request.containerID)
        let location = request.location
        guard !location.isEmpty else {
            throw .invalidArgument("location of the checkpoint of container \(container.id) is empty: it names the archive to write")
        }
        guard location.hasPrefix("/"), !location.hasSuffix("/") else {
            throw .invalidArgument("location \"\(location)\" of the checkpoint of container \(container.id) is not an absolute path of a file")
        }
        // A directory that cannot even be looked at is no place to write the archive either.
        guard (try? FileSystem.status(FileSystem.parent(of: location)))?.kind == .directory else {
            throw .invalidArgument("location \"\(location)\" of the checkpoint of container \(container.id): its directory does not exist")
        }
        guard request.timeout >= 0 else {
            throw .invalidArgument("timeout \(request.timeout) of the checkpoint of container \(container.id) is negative")
        }
        guard container.state == .containerRunning else {
            throw .failedPrecondition("container \(container.id) is \(container.state): only a running container can be checkpointed")
        }
        guard let sandbox = await registry.existingSandbox(container.sandboxID) else {
            throw .notFound("pod sandbox \(container.sandboxID) of container \(container.id) not found")
        }
        let handle = try await shim(of: sandbox)
        let configDump = try Self.configDump(of: container, runtime: sandbox.runtimeHandler.isEmpty ? settings.defaultRuntime : sandbox.runtimeHandler)
        let limit = request.timeout > 0 ? Duration.seconds(request.timeout) : Self.checkpointTimeout
        do {
            _ = try await handle.call(TaskMethods.checkpoint, .with {
                $0.id = container.id
                $0.location = location
                $0.upperDir = container.upperDir ?? ""
                $0.criuPath = settings.criuPath
                $0.configDump = configDump
            }, timeout: limit)
        } catch where error.code == .deadlineExceeded {
            throw CRIError(.deadlineExceeded, "the checkpoint of container \(container.id) did not finish within \(limit)")
        } catch where error.code == .unimplemented {
            throw .failedPrecondition("the shim of pod \(sandbox.id) predates checkpointing: recreate the pod to checkpoint container \(container.id)")
        }
        return .init()
    }

    /// kubelet's own default for a CRI call: what a checkpoint of a large container may take.
    static let checkpointTimeout = Duration.seconds(120)

    /// `config.dump`, with the fields (and JSON names) of checkpointctl's ContainerConfig, which
    /// containerd and CRI-O both write: Go's times are RFC 3339 with nanoseconds.
    static func configDump(of container: ContainerEntry, runtime: String) throws(CRIError) -> Data {
        let fields: [String: Any] = [
            "id": container.id,
            "name": container.nameKey,
            "rootfsImage": container.image,
            "rootfsImageRef": container.imageRef,
            "rootfsImageName": container.image,
            "runtime": runtime,
            "createdTime": RFC3339.format(wallNanos: UInt64(max(0, container.createdAt))),
            "checkpointedTime": RFC3339.now,
        ]
        do {
            return try JSONSerialization.data(withJSONObject: fields, options: [.sortedKeys, .withoutEscapingSlashes])
        } catch {
            throw .internalError("encoding config.dump of container \(container.id): \(error)")
        }
    }
}
