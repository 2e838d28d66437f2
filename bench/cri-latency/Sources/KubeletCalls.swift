import BenchCRIClient
import CRIAPI

/// The calls kubelet makes to a node it already runs, beside the pod lifecycle of CRICalls:
/// the PLEG's relist, the stats it polls, and the lists that tell a restarted runtime's state.
extension CRIConnection {
    /// Pods carrying every label in `labels` (all of them when empty, as the relist asks).
    func podSandboxes(labelled labels: [String: String] = [:]) async throws -> [Runtime_V1_PodSandbox] {
        var request = Runtime_V1_ListPodSandboxRequest()
        if !labels.isEmpty { request.filter.labelSelector = labels }
        return try await runtime.listPodSandbox(request, options: Self.callDeadline).items
    }

    /// Containers carrying every label in `labels` (all of them when empty, as the relist asks).
    func containers(labelled labels: [String: String] = [:]) async throws -> [Runtime_V1_Container] {
        var request = Runtime_V1_ListContainersRequest()
        if !labels.isEmpty { request.filter.labelSelector = labels }
        return try await runtime.listContainers(request, options: Self.callDeadline).containers
    }

    /// Every container's stats; returns how many the runtime reported.
    func containerStats() async throws -> Int {
        try await runtime.listContainerStats(Runtime_V1_ListContainerStatsRequest(), options: Self.callDeadline)
            .stats.count
    }

    /// Every pod's stats; returns how many the runtime reported.
    func podSandboxStats() async throws -> Int {
        try await runtime.listPodSandboxStats(Runtime_V1_ListPodSandboxStatsRequest(), options: Self.callDeadline)
            .stats.count
    }

    func imageFsInfo() async throws {
        _ = try await images.imageFsInfo(Runtime_V1_ImageFsInfoRequest(), options: Self.callDeadline)
    }
}
