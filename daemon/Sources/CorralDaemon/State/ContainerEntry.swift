import CRIAPI

/// What the daemon knows of one container, kept in memory and written through to the store.
struct ContainerEntry: Sendable {
    let id: String
    let sandboxID: String
    var config: Runtime_V1_ContainerConfig
    /// `<container>_<pod>_<namespace>_<uid>_<attempt>`: reserved until the container is removed.
    let nameKey: String
    /// The image as the request named it, its resolved name and its id (config digest).
    let image: String
    let imageRef: String
    let imageID: String
    let logPath: String
    let bundle: String
    let createdAt: Int64
    /// The overlay the shim mounts at `<bundle>/rootfs` when the container starts.
    var rootfsOptions: [String] = []
    var state: Runtime_V1_ContainerState = .containerCreated
    var startedAt: Int64 = 0
    var finishedAt: Int64 = 0
    var exitCode: Int32 = 0
    var reason = ""
    var message = ""
    var pid: UInt32 = 0
    /// The signal StopContainer sends first (the image's StopSignal, else SIGTERM).
    var stopSignal: Int32 = 15
    /// Who the spec runs the process as; ContainerStatus reads the live process when there is one.
    var user: ProcessIdentity?

    var metadata: Runtime_V1_ContainerMetadata { config.metadata }

    /// The overlay's upper dir: what the container wrote over its image.
    var upperDir: String? {
        rootfsOptions.first { $0.hasPrefix("upperdir=") }.map { String($0.dropFirst("upperdir=".count)) }
    }

    static func nameKey(of metadata: Runtime_V1_ContainerMetadata, in pod: Runtime_V1_PodSandboxMetadata) -> String {
        "\(metadata.name)_\(pod.name)_\(pod.namespace)_\(pod.uid)_\(metadata.attempt)"
    }

    /// The record of an exit, the way kubelet reads it: OOMKilled wins, then Completed for 0.
    mutating func exited(code: Int32, at time: Int64, oomKilled: Bool) {
        state = .containerExited
        exitCode = code
        // The shim stamps the start after runc returns; a process that ends at once may be
        // reaped before that. kubelet expects finished ≥ started.
        finishedAt = max(time, startedAt)
        if oomKilled {
            reason = "OOMKilled"
        } else if reason.isEmpty {
            reason = code == 0 ? "Completed" : "Error"
        }
    }
}
