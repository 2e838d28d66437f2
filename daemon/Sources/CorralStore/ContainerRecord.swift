import Foundation
import GRDB

/// A container as corrald persists it; the shim owns the process, this is what the CRI reports about it.
public struct ContainerRecord: Codable, Sendable, Equatable {
    /// 64 hex digits.
    public var id: String
    public var sandboxID: String
    /// The reservation key `<container name>_<pod name>_<namespace>_<uid>_<attempt>`; unique across containers.
    public var name: String
    public var containerName: String
    public var attempt: UInt32
    public var image: String
    public var imageRef: String
    public var imageID: String
    /// "created", "running", "exited" or "unknown".
    public var state: String
    /// Nanoseconds since the epoch; 0 when it has not happened.
    public var createdAt: Int64
    public var startedAt: Int64
    public var finishedAt: Int64
    public var exitCode: Int32
    public var reason: String
    public var message: String
    public var pid: UInt32
    public var logPath: String
    public var bundle: String
    /// The serialized CRI ContainerConfig; the store does not look inside.
    public var config: Data
    public var labels: [String: String]
    public var annotations: [String: String]
    /// Room for fields added later without a schema migration.
    public var extra: [String: String]

    public init(id: String, sandboxID: String, name: String, containerName: String, attempt: UInt32,
                image: String, imageRef: String = "", imageID: String = "", state: String,
                createdAt: Int64, startedAt: Int64 = 0, finishedAt: Int64 = 0,
                exitCode: Int32 = 0, reason: String = "", message: String = "", pid: UInt32 = 0,
                logPath: String = "", bundle: String = "", config: Data,
                labels: [String: String] = [:], annotations: [String: String] = [:], extra: [String: String] = [:]) {
        self.id = id
        self.sandboxID = sandboxID
        self.name = name
        self.containerName = containerName
        self.attempt = attempt
        self.image = image
        self.imageRef = imageRef
        self.imageID = imageID
        self.state = state
        self.createdAt = createdAt
        self.startedAt = startedAt
        self.finishedAt = finishedAt
        self.exitCode = exitCode
        self.reason = reason
        self.message = message
        self.pid = pid
        self.logPath = logPath
        self.bundle = bundle
        self.config = config
        self.labels = labels
        self.annotations = annotations
        self.extra = extra
    }

    enum CodingKeys: String, CodingKey {
        case id, sandboxID = "sandbox_id", name, containerName = "container_name", attempt
        case image, imageRef = "image_ref", imageID = "image_id", state
        case createdAt = "created_at", startedAt = "started_at", finishedAt = "finished_at"
        case exitCode = "exit_code", reason, message, pid, logPath = "log_path", bundle, config
        case labels, annotations, extra
    }
}

extension ContainerRecord: FetchableRecord, PersistableRecord {
    public static let databaseTableName = "container"
}
