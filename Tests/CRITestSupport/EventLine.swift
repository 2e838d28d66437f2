import CRIAPI

/// A container event as a line to compare: its type, whose it is, the pod's state and each
/// container's state by name; what a test of GetContainerEvents checks, in order.
public struct EventLine: Equatable, CustomStringConvertible, Sendable {
    public var type: Runtime_V1_ContainerEventType
    public var id: String
    public var pod: Runtime_V1_PodSandboxState?
    public var containers: [String: Runtime_V1_ContainerState]

    public init(_ type: Runtime_V1_ContainerEventType, _ id: String, pod: Runtime_V1_PodSandboxState?,
                _ containers: [String: Runtime_V1_ContainerState] = [:]) {
        (self.type, self.id, self.pod, self.containers) = (type, id, pod, containers)
    }

    public init(_ event: Runtime_V1_ContainerEventResponse) {
        self.init(event.containerEventType, event.containerID,
                  pod: event.hasPodSandboxStatus ? event.podSandboxStatus.state : nil,
                  Dictionary(uniqueKeysWithValues: event.containersStatuses.map { ($0.metadata.name, $0.state) }))
    }

    public var description: String { "\(type) \(id.prefix(8)) pod:\(pod.map { "\($0)" } ?? "-") \(containers)" }
}
