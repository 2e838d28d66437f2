import Foundation
import GRDB

/// A pod sandbox as corrald persists it: enough to rebuild the in-memory pod after a restart and to
/// find its shim again.
public struct SandboxRecord: Codable, Sendable, Equatable {
    /// 64 hex digits.
    public var id: String
    /// The reservation key `<name>_<namespace>_<uid>_<attempt>`; unique across sandboxes.
    public var name: String
    public var podName: String
    public var podNamespace: String
    public var podUID: String
    public var attempt: UInt32
    public var runtimeHandler: String
    /// "ready" or "notready".
    public var state: String
    /// Nanoseconds since the epoch.
    public var createdAt: Int64
    /// The serialized CRI PodSandboxConfig; the store does not look inside.
    public var config: Data
    public var shimAddress: String
    public var shimStateDir: String
    public var shimPID: Int32
    public var ips: [String]
    public var namespacePaths: [String: String]
    public var labels: [String: String]
    public var annotations: [String: String]
    /// Room for fields added later without a schema migration.
    public var extra: [String: String]

    public init(id: String, name: String, podName: String, podNamespace: String, podUID: String, attempt: UInt32,
                runtimeHandler: String, state: String, createdAt: Int64, config: Data,
                shimAddress: String = "", shimStateDir: String = "", shimPID: Int32 = 0,
                ips: [String] = [], namespacePaths: [String: String] = [:],
                labels: [String: String] = [:], annotations: [String: String] = [:], extra: [String: String] = [:]) {
        self.id = id
        self.name = name
        self.podName = podName
        self.podNamespace = podNamespace
        self.podUID = podUID
        self.attempt = attempt
        self.runtimeHandler = runtimeHandler
        self.state = state
        self.createdAt = createdAt
        self.config = config
        self.shimAddress = shimAddress
        self.shimStateDir = shimStateDir
        self.shimPID = shimPID
        self.ips = ips
        self.namespacePaths = namespacePaths
        self.labels = labels
        self.annotations = annotations
        self.extra = extra
    }

    // Column names in snake_case so the file reads naturally in the sqlite3 shell.
    enum CodingKeys: String, CodingKey {
        case id, name
        case podName = "pod_name", podNamespace = "pod_namespace", podUID = "pod_uid", attempt
        case runtimeHandler = "runtime_handler", state
        case createdAt = "created_at", config
        case shimAddress = "shim_address", shimStateDir = "shim_state_dir", shimPID = "shim_pid"
        case ips, namespacePaths = "namespace_paths", labels, annotations, extra
    }
}

extension SandboxRecord: FetchableRecord, PersistableRecord {
    public static let databaseTableName = "sandbox"
}
