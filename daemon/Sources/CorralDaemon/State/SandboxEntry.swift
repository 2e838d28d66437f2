import CRIAPI
import ShimAPI

/// What the daemon knows of one pod, kept in memory and written through to the store.
struct SandboxEntry: Sendable {
    let id: String
    let config: Runtime_V1_PodSandboxConfig
    /// `<name>_<namespace>_<uid>_<attempt>`: reserved until the pod is removed.
    let nameKey: String
    /// The runtime the pod runs with (the default one resolved by name).
    let runtimeHandler: String
    /// The handler as RunPodSandbox named it ("" for the default): what PodSandboxStatus reports.
    var requestedHandler: String?
    let createdAt: Int64
    var state: Runtime_V1_PodSandboxState = .sandboxNotready
    var ips: [String] = []
    var namespaces = Corral_Shim_V1_NamespacePaths()
    var shimAddress = ""
    var shimStateDir = ""
    var shimPID: Int32 = 0
    /// Set once StopPodSandbox has released the network: a second stop does nothing.
    var stopped = false

    var metadata: Runtime_V1_PodSandboxMetadata { config.metadata }

    static func nameKey(of metadata: Runtime_V1_PodSandboxMetadata) -> String {
        "\(metadata.name)_\(metadata.namespace)_\(metadata.uid)_\(metadata.attempt)"
    }

    var reportedHandler: String { requestedHandler ?? runtimeHandler }

    var namespaceOptions: Runtime_V1_NamespaceOption { config.linux.securityContext.namespaceOptions }
    var hostNetwork: Bool { namespaceOptions.network == .node }
}
