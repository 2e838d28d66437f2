import CRIAPI
import CRIGRPC
import GRPCCore

/// runtime.v1.RuntimeService over gRPC: each call passes the instrumentation layer, then
/// the CRI service. Nothing else lives here.
struct RuntimeServiceHandler: Runtime_V1_RuntimeService.SimpleServiceProtocol {
    let service: CRIService
    let instrumentation: Instrumentation

    func version(request: Runtime_V1_VersionRequest, context: ServerContext) async throws -> Runtime_V1_VersionResponse {
        try await instrumentation.run("Version", fromMemory: true) { service.version(request) }
    }

    func runPodSandbox(request: Runtime_V1_RunPodSandboxRequest, context: ServerContext) async throws -> Runtime_V1_RunPodSandboxResponse {
        try await instrumentation.run("RunPodSandbox", ["pod": request.config.metadata.name]) { try await service.runPodSandbox(request) }
    }

    func stopPodSandbox(request: Runtime_V1_StopPodSandboxRequest, context: ServerContext) async throws -> Runtime_V1_StopPodSandboxResponse {
        try await instrumentation.run("StopPodSandbox", ["pod": request.podSandboxID]) { try await service.stopPodSandbox(request) }
    }

    func removePodSandbox(request: Runtime_V1_RemovePodSandboxRequest, context: ServerContext) async throws -> Runtime_V1_RemovePodSandboxResponse {
        try await instrumentation.run("RemovePodSandbox", ["pod": request.podSandboxID]) { try await service.removePodSandbox(request) }
    }

    func podSandboxStatus(request: Runtime_V1_PodSandboxStatusRequest, context: ServerContext) async throws -> Runtime_V1_PodSandboxStatusResponse {
        try await instrumentation.run("PodSandboxStatus", ["pod": request.podSandboxID], fromMemory: true) { try await service.podSandboxStatus(request) }
    }

    func listPodSandbox(request: Runtime_V1_ListPodSandboxRequest, context: ServerContext) async throws -> Runtime_V1_ListPodSandboxResponse {
        try await instrumentation.run("ListPodSandbox", fromMemory: true) { await service.listPodSandbox(request) }
    }

    func createContainer(request: Runtime_V1_CreateContainerRequest, context: ServerContext) async throws -> Runtime_V1_CreateContainerResponse {
        try await instrumentation.run("CreateContainer", ["pod": request.podSandboxID, "name": request.config.metadata.name]) { try await service.createContainer(request) }
    }

    func startContainer(request: Runtime_V1_StartContainerRequest, context: ServerContext) async throws -> Runtime_V1_StartContainerResponse {
        try await instrumentation.run("StartContainer", ["container": request.containerID]) { try await service.startContainer(request) }
    }

    func stopContainer(request: Runtime_V1_StopContainerRequest, context: ServerContext) async throws -> Runtime_V1_StopContainerResponse {
        try await instrumentation.run("StopContainer", ["container": request.containerID]) { try await service.stopContainer(request) }
    }

    func removeContainer(request: Runtime_V1_RemoveContainerRequest, context: ServerContext) async throws -> Runtime_V1_RemoveContainerResponse {
        try await instrumentation.run("RemoveContainer", ["container": request.containerID]) { try await service.removeContainer(request) }
    }

    func listContainers(request: Runtime_V1_ListContainersRequest, context: ServerContext) async throws -> Runtime_V1_ListContainersResponse {
        try await instrumentation.run("ListContainers", fromMemory: true) { await service.listContainers(request) }
    }

    /// ListContainers as RuntimeServiceRoutes serves it.
    func encodedListContainers(request: Runtime_V1_ListContainersRequest,
                               context: ServerContext) async throws -> EncodedMessage<Runtime_V1_ListContainersResponse> {
        try await instrumentation.run("ListContainers", fromMemory: true) { EncodedMessage(bytes: try await service.encodedContainerList(request)) }
    }

    func containerStatus(request: Runtime_V1_ContainerStatusRequest, context: ServerContext) async throws -> Runtime_V1_ContainerStatusResponse {
        try await instrumentation.run("ContainerStatus", ["container": request.containerID], fromMemory: true) { try await service.containerStatus(request) }
    }

    func updateContainerResources(request: Runtime_V1_UpdateContainerResourcesRequest, context: ServerContext) async throws -> Runtime_V1_UpdateContainerResourcesResponse {
        try await instrumentation.run("UpdateContainerResources", ["container": request.containerID]) { try await service.updateContainerResources(request) }
    }

    func reopenContainerLog(request: Runtime_V1_ReopenContainerLogRequest, context: ServerContext) async throws -> Runtime_V1_ReopenContainerLogResponse {
        try await instrumentation.run("ReopenContainerLog", ["container": request.containerID]) { try await service.reopenContainerLog(request) }
    }

    func execSync(request: Runtime_V1_ExecSyncRequest, context: ServerContext) async throws -> Runtime_V1_ExecSyncResponse {
        try await instrumentation.run("ExecSync", ["container": request.containerID]) { try await service.execSync(request) }
    }

    func exec(request: Runtime_V1_ExecRequest, context: ServerContext) async throws -> Runtime_V1_ExecResponse {
        try await instrumentation.run("Exec", ["container": request.containerID]) { try await service.exec(request) }
    }

    func attach(request: Runtime_V1_AttachRequest, context: ServerContext) async throws -> Runtime_V1_AttachResponse {
        try await instrumentation.run("Attach", ["container": request.containerID]) { try await service.attach(request) }
    }

    func portForward(request: Runtime_V1_PortForwardRequest, context: ServerContext) async throws -> Runtime_V1_PortForwardResponse {
        try await instrumentation.run("PortForward", ["pod": request.podSandboxID]) { try await service.portForward(request) }
    }

    func containerStats(request: Runtime_V1_ContainerStatsRequest, context: ServerContext) async throws -> Runtime_V1_ContainerStatsResponse {
        try await instrumentation.run("ContainerStats", ["container": request.containerID]) { try await service.containerStats(request) }
    }

    func listContainerStats(request: Runtime_V1_ListContainerStatsRequest, context: ServerContext) async throws -> Runtime_V1_ListContainerStatsResponse {
        try await instrumentation.run("ListContainerStats") { await service.listContainerStats(request) }
    }

    func podSandboxStats(request: Runtime_V1_PodSandboxStatsRequest, context: ServerContext) async throws -> Runtime_V1_PodSandboxStatsResponse {
        try await instrumentation.run("PodSandboxStats", ["pod": request.podSandboxID]) { try await service.podSandboxStats(request) }
    }

    func listPodSandboxStats(request: Runtime_V1_ListPodSandboxStatsRequest, context: ServerContext) async throws -> Runtime_V1_ListPodSandboxStatsResponse {
        try await instrumentation.run("ListPodSandboxStats") { await service.listPodSandboxStats(request) }
    }

    func updateRuntimeConfig(request: Runtime_V1_UpdateRuntimeConfigRequest, context: ServerContext) async throws -> Runtime_V1_UpdateRuntimeConfigResponse {
        try await instrumentation.run("UpdateRuntimeConfig", fromMemory: true) { service.updateRuntimeConfig(request) }
    }

    func status(request: Runtime_V1_StatusRequest, context: ServerContext) async throws -> Runtime_V1_StatusResponse {
        try await instrumentation.run("Status", fromMemory: true) { service.status(request) }
    }

    func checkpointContainer(request: Runtime_V1_CheckpointContainerRequest, context: ServerContext) async throws -> Runtime_V1_CheckpointContainerResponse {
        try await instrumentation.run("CheckpointContainer", ["container": request.containerID]) {
            try await service.checkpointContainer(request)
        }
    }

    func updatePodSandboxResources(request: Runtime_V1_UpdatePodSandboxResourcesRequest,
                                   context: ServerContext) async throws -> Runtime_V1_UpdatePodSandboxResourcesResponse {
        try await instrumentation.run("UpdatePodSandboxResources", ["pod": request.podSandboxID]) {
            try await service.updatePodSandboxResources(request)
        }
    }

    func runtimeConfig(request: Runtime_V1_RuntimeConfigRequest, context: ServerContext) async throws -> Runtime_V1_RuntimeConfigResponse {
        try await instrumentation.run("RuntimeConfig", fromMemory: true) { service.runtimeConfig(request) }
    }

    func getContainerEvents(request: Runtime_V1_GetEventsRequest, response: RPCWriter<Runtime_V1_ContainerEventResponse>,
                            context: ServerContext) async throws {
        try await instrumentation.run("GetContainerEvents", fromMemory: true) {
            try await service.streamContainerEvents { try await response.write($0) }
        }
    }

    func listMetricDescriptors(request: Runtime_V1_ListMetricDescriptorsRequest,
                               context: ServerContext) async throws -> Runtime_V1_ListMetricDescriptorsResponse {
        try await instrumentation.run("ListMetricDescriptors", fromMemory: true) { service.listMetricDescriptors(request) }
    }

    func listPodSandboxMetrics(request: Runtime_V1_ListPodSandboxMetricsRequest,
                               context: ServerContext) async throws -> Runtime_V1_ListPodSandboxMetricsResponse {
        try await instrumentation.run("ListPodSandboxMetrics") { await service.listPodSandboxMetrics(request) }
    }
}
