import CRIAPI

/// Which change of state is worth an event, as kubelet's evented PLEG names them. Changes
/// that move no state (a pid, an address, a reason) are not.
enum LifecycleTransition {
    static func of(sandbox before: Runtime_V1_PodSandboxState?, to after: Runtime_V1_PodSandboxState) -> Runtime_V1_ContainerEventType? {
        switch (before, after) {
        case (nil, _): .containerCreatedEvent
        case (.sandboxNotready?, .sandboxReady): .containerStartedEvent
        case (.sandboxReady?, .sandboxNotready): .containerStoppedEvent
        default: nil
        }
    }

    static func of(container before: Runtime_V1_ContainerState?, to after: Runtime_V1_ContainerState) -> Runtime_V1_ContainerEventType? {
        switch (before, after) {
        case (nil, _): .containerCreatedEvent
        case (.containerCreated?, .containerRunning): .containerStartedEvent
        // A container that failed to start, or ended before its start was recorded, stops too.
        case (.containerCreated?, .containerExited), (.containerRunning?, .containerExited): .containerStoppedEvent
        default: nil
        }
    }
}
