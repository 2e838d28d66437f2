import CRIAPI
import Foundation

/// The pods and containers the bench asks for: busybox `sleep 3600`, as small as a real pod
/// gets, each with metadata of its own so no run collides with leftovers of another.
struct PodFixtures: Sendable {
    var benchName: String
    var image: String
    var logRoot: String
    var cgroupParent: String
    /// A short random tag in every pod name: a runtime refuses a name still reserved by a pod
    /// an interrupted earlier run left behind.
    var tag = String(UUID().uuidString.prefix(8)).lowercased()
    /// The PID namespace of pods and containers. The CRI's default is the pod's (one shared by
    /// its containers); kubelet asks for one per container unless the pod sets
    /// shareProcessNamespace, and says so in the container's config as well as the pod's.
    var pidNamespace = Runtime_V1_NamespaceMode.pod

    static let namespace = "corral-bench"

    /// `key` is the pod's number in the run, or "w0"… for a warm-up pod.
    func podName(_ key: String) -> String { "\(benchName)-\(tag)-\(key)" }

    func logDirectory(_ key: String) -> String { logRoot + "/" + podName(key) }

    /// On every pod and container: the bench's name, and this run's tag, which finds what this
    /// run made (and only that) through a label filter.
    var labels: [String: String] { ["corral-bench": benchName, "corral-bench-run": tag] }

    func sandbox(_ key: String) -> Runtime_V1_PodSandboxConfig {
        var config = Runtime_V1_PodSandboxConfig()
        config.metadata.name = podName(key)
        config.metadata.namespace = Self.namespace
        config.metadata.uid = UUID().uuidString.lowercased()
        config.hostname = "bench-\(key)"
        config.logDirectory = logDirectory(key)
        config.labels = labels
        config.linux.cgroupParent = cgroupParent
        if pidNamespace != .pod { config.linux.securityContext.namespaceOptions.pid = pidNamespace }
        return config
    }

    func container(_ index: Int) -> Runtime_V1_ContainerConfig {
        var config = Runtime_V1_ContainerConfig()
        config.metadata.name = "sleeper-\(index)"
        config.image.image = image
        config.command = ["sleep", "3600"]
        config.logPath = "sleeper-\(index).log"
        config.labels = labels
        config.linux = Runtime_V1_LinuxContainerConfig()
        if pidNamespace != .pod { config.linux.securityContext.namespaceOptions.pid = pidNamespace }
        return config
    }
}
