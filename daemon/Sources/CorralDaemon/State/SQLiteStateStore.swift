import CRIAPI
import CorralStore
import Foundation
import ShimAPI
import SwiftProtobuf

/// The registry's write-through store: SQLite through CorralStore, one transaction a change.
struct SQLiteStateStore: StateStore {
    let store: MetadataStore

    func loadAll() throws -> (sandboxes: [SandboxEntry], containers: [ContainerEntry]) {
        let (pods, ctrs) = try store.loadAll()
        return (try pods.map(Self.entry), try ctrs.map(Self.entry))
    }

    func save(_ sandbox: SandboxEntry) throws {
        let record = try Self.record(sandbox)
        try store.transaction { (t: borrowing StoreTransaction) throws(StoreError) in
            if try t.sandbox(id: record.id) == nil { try t.insert(record) } else { try t.update(record) }
        }
    }

    func save(_ container: ContainerEntry) throws {
        let record = try Self.record(container)
        try store.transaction { (t: borrowing StoreTransaction) throws(StoreError) in
            if try t.container(id: record.id) == nil { try t.insert(record) } else { try t.update(record) }
        }
    }

    func removeSandbox(id: String) throws { try store.deleteSandbox(id: id) }
    func removeContainer(id: String) throws { try store.deleteContainer(id: id) }

    // MARK: mapping

    static func record(_ s: SandboxEntry) throws -> SandboxRecord {
        SandboxRecord(
            id: s.id, name: s.nameKey, podName: s.metadata.name, podNamespace: s.metadata.namespace,
            podUID: s.metadata.uid, attempt: s.metadata.attempt, runtimeHandler: s.runtimeHandler,
            state: s.state == .sandboxReady ? "ready" : "notready", createdAt: s.createdAt,
            config: try s.config.serializedData(), shimAddress: s.shimAddress, shimStateDir: s.shimStateDir,
            shimPID: s.shimPID, ips: s.ips,
            namespacePaths: ["network": s.namespaces.network, "ipc": s.namespaces.ipc,
                             "uts": s.namespaces.uts, "pid": s.namespaces.pid, "user": s.namespaces.user],
            labels: s.config.labels, annotations: s.config.annotations,
            extra: ["stopped": s.stopped ? "true" : "false"].merging(
                s.requestedHandler.map { ["requestedHandler": $0] } ?? [:]) { a, _ in a })
    }

    static func entry(_ r: SandboxRecord) throws -> SandboxEntry {
        var entry = SandboxEntry(id: r.id, config: try Runtime_V1_PodSandboxConfig(serializedBytes: r.config),
                                 nameKey: r.name, runtimeHandler: r.runtimeHandler, createdAt: r.createdAt)
        entry.state = r.state == "ready" ? .sandboxReady : .sandboxNotready
        entry.ips = r.ips
        entry.namespaces = .with {
            $0.network = r.namespacePaths["network"] ?? ""
            $0.ipc = r.namespacePaths["ipc"] ?? ""
            $0.uts = r.namespacePaths["uts"] ?? ""
            $0.pid = r.namespacePaths["pid"] ?? ""
            $0.user = r.namespacePaths["user"] ?? ""
        }
        entry.shimAddress = r.shimAddress
        entry.shimStateDir = r.shimStateDir
        entry.shimPID = r.shimPID
        entry.stopped = r.extra["stopped"] == "true"
        entry.requestedHandler = r.extra["requestedHandler"]
        return entry
    }

    static let stateNames: [Runtime_V1_ContainerState: String] = [
        .containerCreated: "created", .containerRunning: "running", .containerExited: "exited", .containerUnknown: "unknown",
    ]

    static func record(_ c: ContainerEntry) throws -> ContainerRecord {
        ContainerRecord(
            id: c.id, sandboxID: c.sandboxID, name: c.nameKey, containerName: c.metadata.name,
            attempt: c.metadata.attempt, image: c.image, imageRef: c.imageRef, imageID: c.imageID,
            state: stateNames[c.state] ?? "unknown", createdAt: c.createdAt, startedAt: c.startedAt,
            finishedAt: c.finishedAt, exitCode: c.exitCode, reason: c.reason, message: c.message, pid: c.pid,
            logPath: c.logPath, bundle: c.bundle, config: try c.config.serializedData(),
            labels: c.config.labels, annotations: c.config.annotations,
            extra: ["rootfs": c.rootfsOptions.joined(separator: "\n"), "stopSignal": String(c.stopSignal),
                    "user": c.user?.recordText ?? ""])
    }

    static func entry(_ r: ContainerRecord) throws -> ContainerEntry {
        var entry = ContainerEntry(
            id: r.id, sandboxID: r.sandboxID, config: try Runtime_V1_ContainerConfig(serializedBytes: r.config),
            nameKey: r.name, image: r.image, imageRef: r.imageRef, imageID: r.imageID, logPath: r.logPath,
            bundle: r.bundle, createdAt: r.createdAt)
        entry.state = stateNames.first { $0.value == r.state }?.key ?? .containerUnknown
        entry.startedAt = r.startedAt
        entry.finishedAt = r.finishedAt
        entry.exitCode = r.exitCode
        entry.reason = r.reason
        entry.message = r.message
        entry.pid = r.pid
        entry.rootfsOptions = (r.extra["rootfs"] ?? "").split(separator: "\n").map(String.init)
        entry.stopSignal = Int32(r.extra["stopSignal"] ?? "") ?? 15
        entry.user = r.extra["user"].flatMap(ProcessIdentity.init(recordText:))
        return entry
    }
}
