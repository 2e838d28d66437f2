import CRIAPI

/// A pod the bench made, with what it needs to add containers to it and to remove it.
struct BenchPod: Sendable {
    var id: String
    var config: Runtime_V1_PodSandboxConfig
    var containers: [String] = []
}
