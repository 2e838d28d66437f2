import CRIAPI
import SwiftProtobuf

extension CRIService {
    func containerStatus(_ request: Runtime_V1_ContainerStatusRequest) async throws(CRIError) -> Runtime_V1_ContainerStatusResponse {
        let container = try await registry.container(request.containerID)
        return .with {
            $0.status = Self.status(of: container)
            if container.state == .containerRunning, let live = ProcessIdentity.of(pid: container.pid) {
                $0.status.user = live.cri
            }
            if request.verbose {
                let info: [String: Any] = [
                    "sandboxID": container.sandboxID,
                    "pid": Int(container.pid),
                    "bundle": container.bundle,
                    "imageID": container.imageID,
                    "rootfs": container.rootfsOptions,
                    // The JSON of a message that decoded cannot fail to encode.
                    "config": (try? container.config.jsonString()) ?? "",
                ]
                $0.info["info"] = VerboseJSON.encode(info)
            }
        }
    }

    static func status(of container: ContainerEntry) -> Runtime_V1_ContainerStatus {
        .with {
            $0.id = container.id
            $0.metadata = container.metadata
            $0.state = container.state
            $0.createdAt = container.createdAt
            $0.startedAt = container.startedAt
            $0.finishedAt = container.finishedAt
            $0.exitCode = container.exitCode
            $0.image = .with {
                $0.image = container.image
                $0.annotations = container.config.image.annotations
            }
            $0.imageRef = container.imageRef
            $0.imageID = container.imageID
            $0.stopSignal = StopSignals.criSignal(container.stopSignal)
            if let user = container.user { $0.user = user.cri }
            $0.reason = container.reason
            $0.message = container.message
            $0.labels = container.config.labels
            $0.annotations = container.config.annotations
            $0.mounts = container.config.mounts
            $0.logPath = container.logPath
            if container.config.hasLinux, container.config.linux.hasResources {
                $0.resources.linux = container.config.linux.resources
            }
        }
    }

    static func nanos(_ timestamp: Google_Protobuf_Timestamp) -> Int64 {
        timestamp.seconds * 1_000_000_000 + Int64(timestamp.nanos)
    }
}
