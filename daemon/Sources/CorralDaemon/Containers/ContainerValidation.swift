import CRIAPI

/// The checks a CreateContainer request passes before anything is created; the spec
/// generator checks the rest (mounts, resources, security context) before any file is written.
enum ContainerValidation {
    static func validate(_ request: Runtime_V1_CreateContainerRequest) throws(CRIError) {
        guard !request.podSandboxID.isEmpty else { throw .invalidArgument("pod_sandbox_id is empty") }
        guard request.hasConfig else { throw .invalidArgument("config is missing") }
        let config = request.config
        guard config.hasMetadata else { throw .invalidArgument("config.metadata is missing") }
        try PodValidation.checkName(config.metadata.name, field: "config.metadata.name")
        guard config.hasImage, !config.image.image.isEmpty else {
            throw .invalidArgument("config.image.image is empty")
        }
        if !config.logPath.isEmpty, config.logPath.hasPrefix("/") || config.logPath.split(separator: "/").contains("..") {
            throw .invalidArgument("config.log_path \"\(config.logPath)\" must be relative to the pod's log_directory")
        }
        if case .UNRECOGNIZED(let value) = config.stopSignal {
            throw .invalidArgument("config.stop_signal \(value) is not a signal the CRI names")
        }
        // Image volumes (a mount whose source is an image, KEP-4639) are not built; a mount
        // that names one would otherwise be a bind of an empty host_path.
        if let mount = config.mounts.first(where: { $0.hasImage && !$0.image.image.isEmpty }) {
            throw .unimplemented("config.mounts: image volumes are not supported (mount at \(mount.containerPath) from image \(mount.image.image))")
        }
    }
}
