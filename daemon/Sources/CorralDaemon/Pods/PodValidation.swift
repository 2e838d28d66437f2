import CRIAPI
import CorralSpec

/// The checks a RunPodSandbox request passes before anything is created.
enum PodValidation {
    /// Kubernetes object names and namespaces are DNS-1123 labels or subdomains, at most 253 bytes.
    static let maxNameLength = 253

    static func validate(_ config: Runtime_V1_PodSandboxConfig, hasConfig: Bool) throws(CRIError) {
        guard hasConfig else { throw .invalidArgument("config is missing") }
        guard config.hasMetadata else { throw .invalidArgument("config.metadata is missing") }
        let metadata = config.metadata
        try checkName(metadata.name, field: "config.metadata.name")
        try checkName(metadata.namespace, field: "config.metadata.namespace")
        guard !metadata.uid.isEmpty else { throw .invalidArgument("config.metadata.uid is empty") }
        guard metadata.uid.utf8.count <= maxNameLength else {
            throw .invalidArgument("config.metadata.uid is longer than \(maxNameLength) bytes")
        }
        if !config.logDirectory.isEmpty, !config.logDirectory.hasPrefix("/") {
            throw .invalidArgument("config.log_directory \"\(config.logDirectory)\" is not an absolute path")
        }
        if config.hostname.utf8.count > 64 {
            throw .invalidArgument("config.hostname \"\(config.hostname)\" is longer than 64 bytes")
        }
        for (index, port) in config.portMappings.enumerated() {
            guard (0...65535).contains(port.hostPort), (0...65535).contains(port.containerPort) else {
                throw .invalidArgument("config.port_mappings[\(index)]: port out of range 0-65535")
            }
        }
        let options = config.linux.securityContext.namespaceOptions
        if options.network == .target || options.network == .container {
            throw .invalidArgument("config.linux.security_context.namespace_options.network: \(options.network) is not supported for a pod")
        }
        if options.pid == .target {
            throw .invalidArgument("config.linux.security_context.namespace_options.pid: TARGET is for containers, not pods")
        }
        // kubelet sends no hostname for a pod on the host's network: it has the host's.
        if options.network == .node && !config.hostname.isEmpty {
            throw .invalidArgument("config.hostname \"\(config.hostname)\": a pod on the host's network (namespace_options.network NODE) has the host's name and cannot set its own")
        }
        try UserNamespaceOptions.validate(options, field: "config.linux.security_context.namespace_options")
        do {
            try Sysctls.validate(config.linux.sysctls, hostNetwork: options.network == .node,
                                 hostIPC: options.ipc == .node, field: "config.linux.sysctls")
        } catch {
            throw CRIError(spec: error)
        }
        if !config.linux.cgroupParent.isEmpty, !config.linux.cgroupParent.hasPrefix("/"),
           !config.linux.cgroupParent.hasSuffix(".slice") {
            throw .invalidArgument("config.linux.cgroup_parent \"\(config.linux.cgroupParent)\" is neither absolute nor a systemd slice")
        }
    }

    static func checkName(_ name: String, field: String) throws(CRIError) {
        guard !name.isEmpty else { throw .invalidArgument("\(field) is empty") }
        guard name.utf8.count <= maxNameLength else {
            throw .invalidArgument("\(field) is longer than \(maxNameLength) bytes")
        }
        // The name becomes part of a reservation key joined with "_" and of paths: keep it to
        // what Kubernetes allows so it can never smuggle a separator or a path.
        let allowed = name.utf8.allSatisfy { byte in
            (byte >= 0x61 && byte <= 0x7a) || (byte >= 0x30 && byte <= 0x39) || byte == 0x2d || byte == 0x2e
                || (byte >= 0x41 && byte <= 0x5a)
        }
        guard allowed else {
            throw .invalidArgument("\(field) \"\(name)\" may contain only letters, digits, '-' and '.'")
        }
    }
}
