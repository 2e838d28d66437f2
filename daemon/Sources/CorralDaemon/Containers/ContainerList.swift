import CRIAPI
import SwiftProtobuf
import Synchronization

extension CRIService {
    func listContainers(_ request: Runtime_V1_ListContainersRequest) async -> Runtime_V1_ListContainersResponse {
        let filter = request.filter
        var containers: [ContainerEntry]
        if request.hasFilter, !filter.id.isEmpty {
            guard let id = await registry.resolveContainerID(filter.id),
                  let one = await registry.existingContainer(id) else { return .init() }
            containers = [one]
        } else {
            containers = await registry.allContainers
        }
        if request.hasFilter {
            if !filter.podSandboxID.isEmpty {
                guard let pod = await registry.resolveSandboxID(filter.podSandboxID) else { return .init() }
                containers.removeAll { $0.sandboxID != pod }
            }
            if filter.hasState { containers.removeAll { $0.state != filter.state.state } }
            if !filter.labelSelector.isEmpty {
                containers.removeAll { container in
                    filter.labelSelector.contains { container.config.labels[$0.key] != $0.value }
                }
            }
        }
        return Self.listing(containers)
    }

    /// ListContainers' answer, encoded. kubelet's relist asks every second for every container
    /// (an empty filter), and the answer seldom changes in between, while building and encoding
    /// a few hundred containers costs more than all the rest of the call: that answer is kept,
    /// encoded, until the registry's containers change. Filtered requests are answered afresh.
    func encodedContainerList(_ request: Runtime_V1_ListContainersRequest) async throws -> [UInt8] {
        guard request.selectsEverything else { return try await listContainers(request).serializedBytes() }
        let kept = containerList.withLock { $0 }
        guard let (generation, containers) = await registry.allContainers(changedSince: kept?.generation) else {
            // Unchanged since what was kept, so something was.
            return kept?.bytes ?? []
        }
        let bytes: [UInt8] = try Self.listing(containers).serializedBytes()
        containerList.withLock { latest in
            if latest.map({ $0.generation < generation }) ?? true { latest = EncodedList(generation: generation, bytes: bytes) }
        }
        return bytes
    }

    /// The answer listing `containers`, newest first.
    static func listing(_ containers: [ContainerEntry]) -> Runtime_V1_ListContainersResponse {
        let sorted = containers.sorted { $0.createdAt > $1.createdAt }
        return .with {
            $0.containers = sorted.map { container in
                .with {
                    $0.id = container.id
                    $0.podSandboxID = container.sandboxID
                    $0.metadata = container.metadata
                    $0.image = .with { $0.image = container.image }
                    $0.imageRef = container.imageRef
                    $0.state = container.state
                    $0.createdAt = container.createdAt
                    $0.labels = container.config.labels
                    $0.annotations = container.config.annotations
                }
            }
        }
    }
}

/// An encoded answer and the registry generation it was built from.
struct EncodedList: Sendable {
    let generation: UInt64
    let bytes: [UInt8]
}

extension Runtime_V1_ListContainersRequest {
    /// No filter, or one whose every field is empty (kubelet sends the latter).
    var selectsEverything: Bool {
        !hasFilter || (filter.id.isEmpty && filter.podSandboxID.isEmpty && !filter.hasState && filter.labelSelector.isEmpty)
    }
}
