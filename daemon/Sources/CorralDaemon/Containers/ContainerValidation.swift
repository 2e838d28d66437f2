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
    }
}
