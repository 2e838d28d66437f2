/// The OCI image configuration (image-spec `config.json`), with the Docker schema 2
/// field spellings, which are the same keys.
public struct ImageConfiguration: Codable, Sendable, Equatable {
    public var created: String?
    public var author: String?
    public var architecture: String
    public var os: String
    public var variant: String?
    public var config: ImageExecutionConfig?
    public var rootfs: ImageRootFS
    public var history: [ImageHistory]?

    public init(architecture: String, os: String, variant: String? = nil, config: ImageExecutionConfig? = nil,
                rootfs: ImageRootFS, created: String? = nil, history: [ImageHistory]? = nil) {
        self.architecture = architecture
        self.os = os
        self.variant = variant
        self.config = config
        self.rootfs = rootfs
        self.created = created
        self.history = history
    }
}

/// What the image says about running it; container creation merges this with the CRI request.
public struct ImageExecutionConfig: Codable, Sendable, Equatable {
    public var user: String?
    public var exposedPorts: [String: EmptyObject]?
    public var env: [String]?
    public var entrypoint: [String]?
    public var cmd: [String]?
    public var volumes: [String: EmptyObject]?
    public var workingDir: String?
    public var labels: [String: String]?
    public var stopSignal: String?

    public init(user: String? = nil, env: [String]? = nil, entrypoint: [String]? = nil, cmd: [String]? = nil,
                workingDir: String? = nil, labels: [String: String]? = nil, stopSignal: String? = nil,
                exposedPorts: [String: EmptyObject]? = nil, volumes: [String: EmptyObject]? = nil) {
        self.user = user
        self.env = env
        self.entrypoint = entrypoint
        self.cmd = cmd
        self.workingDir = workingDir
        self.labels = labels
        self.stopSignal = stopSignal
        self.exposedPorts = exposedPorts
        self.volumes = volumes
    }

    enum CodingKeys: String, CodingKey {
        case user = "User", exposedPorts = "ExposedPorts", env = "Env", entrypoint = "Entrypoint", cmd = "Cmd"
        case volumes = "Volumes", workingDir = "WorkingDir", labels = "Labels", stopSignal = "StopSignal"
    }
}

public struct ImageRootFS: Codable, Sendable, Equatable {
    public var type: String
    public var diffIDs: [String]

    public init(type: String = "layers", diffIDs: [String]) {
        self.type = type
        self.diffIDs = diffIDs
    }

    enum CodingKeys: String, CodingKey {
        case type
        case diffIDs = "diff_ids"
    }
}

public struct ImageHistory: Codable, Sendable, Equatable {
    public var created: String?
    public var createdBy: String?
    public var comment: String?
    public var emptyLayer: Bool?

    enum CodingKeys: String, CodingKey {
        case created, comment
        case createdBy = "created_by"
        case emptyLayer = "empty_layer"
    }
}

/// `{}`: the value of set-like maps such as ExposedPorts and Volumes.
public struct EmptyObject: Codable, Sendable, Equatable, Hashable {
    public init() {}
}
