import BenchCRIClient
import CRIAPI

/// The CRI calls of the scenario, one request each, with the checks kubelet would make on the
/// answers kept out of the timed span by the caller.
extension CRIConnection {
    static let callDeadline = deadline(seconds: 60)

    func runPodSandbox(_ config: Runtime_V1_PodSandboxConfig) async throws -> String {
        var request = Runtime_V1_RunPodSandboxRequest()
        request.config = config
        return try await runtime.runPodSandbox(request, options: Self.callDeadline).podSandboxID
    }

    func podIP(_ podID: String) async throws -> String {
        var request = Runtime_V1_PodSandboxStatusRequest()
        request.podSandboxID = podID
        return try await runtime.podSandboxStatus(request, options: Self.callDeadline).status.network.ip
    }

    func createContainer(pod: BenchPod, _ config: Runtime_V1_ContainerConfig) async throws -> String {
        var request = Runtime_V1_CreateContainerRequest()
        request.podSandboxID = pod.id
        request.config = config
        request.sandboxConfig = pod.config
        return try await runtime.createContainer(request, options: Self.callDeadline).containerID
    }

    func startContainer(_ id: String) async throws {
        var request = Runtime_V1_StartContainerRequest()
        request.containerID = id
        _ = try await runtime.startContainer(request, options: Self.callDeadline)
    }

    func containerState(_ id: String) async throws -> Runtime_V1_ContainerState {
        var request = Runtime_V1_ContainerStatusRequest()
        request.containerID = id
        return try await runtime.containerStatus(request, options: Self.callDeadline).status.state
    }

    func execSync(_ id: String, _ command: [String]) async throws -> Int32 {
        var request = Runtime_V1_ExecSyncRequest()
        request.containerID = id
        request.cmd = command
        request.timeout = 10
        return try await runtime.execSync(request, options: Self.callDeadline).exitCode
    }

    /// Every container, unfiltered, as kubelet's relist asks; returns how many there were.
    func listContainers() async throws -> Int {
        try await runtime.listContainers(Runtime_V1_ListContainersRequest(), options: Self.callDeadline)
            .containers.count
    }

    func stopPodSandbox(_ id: String) async throws {
        var request = Runtime_V1_StopPodSandboxRequest()
        request.podSandboxID = id
        _ = try await runtime.stopPodSandbox(request, options: Self.callDeadline)
    }

    func removePodSandbox(_ id: String) async throws {
        var request = Runtime_V1_RemovePodSandboxRequest()
        request.podSandboxID = id
        _ = try await runtime.removePodSandbox(request, options: Self.callDeadline)
    }
}
