import CRIAPI

extension Runtime_V1_ContainerEventResponse {
    /// An event as kubelet's evented PLEG reads it: it replaces its cache of the whole pod with
    /// what the event carries, so the event holds the pod's status and that of every container
    /// still in it, as PodSandboxStatus and ContainerStatus report them at that instant. For a
    /// change of the pod itself `id` is the pod's (containerd's convention).
    init(_ type: Runtime_V1_ContainerEventType, id: String, sandbox: SandboxEntry?, containers: [ContainerEntry]) {
        self.init()
        containerID = id
        containerEventType = type
        createdAt = CRIService.now
        // Without it (a container whose pod record is gone) kubelet ignores the event and relists.
        if let sandbox { podSandboxStatus = CRIService.status(of: sandbox) }
        containersStatuses = containers.sorted { $0.createdAt < $1.createdAt }.map(CRIService.status(of:))
    }
}

extension CRIService {
    /// GetContainerEvents: every event from the subscription on, until the subscriber goes, falls
    /// behind (RESOURCE_EXHAUSTED) or corrald stops (the stream ends; kubelet subscribes again).
    func streamContainerEvents(to write: (Runtime_V1_ContainerEventResponse) async throws -> Void) async throws {
        for try await event in registry.events.subscribe() {
            try await write(event)
        }
    }
}
