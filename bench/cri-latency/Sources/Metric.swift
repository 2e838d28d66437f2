/// What the bench times, in the order the report lists them.
enum Metric: String, Codable, Sendable, CaseIterable {
    case runPodSandbox = "RunPodSandbox"
    case createContainer = "CreateContainer"
    case startContainer = "StartContainer"
    case containerStatus = "ContainerStatus"
    case execSync = "ExecSync"
    case listContainersFew = "ListContainers@10"
    case listContainersMany = "ListContainers@200"
    case stopPodSandbox = "StopPodSandbox"
    case removePodSandbox = "RemovePodSandbox"
    /// RunPodSandbox + CreateContainer + StartContainer of one pod: what kubelet waits for.
    case podStart = "pod start (run+create+start)"
    // kubelet's other calls on a full node (`node`): the relist, and the stats it polls.
    case listPodSandbox = "ListPodSandbox"
    case listContainers = "ListContainers"
    case listContainerStats = "ListContainerStats"
    case listPodSandboxStats = "ListPodSandboxStats"
    case imageFsInfo = "ImageFsInfo"
}
