import Foundation
import GRDB

/// corrald's pods and containers in SQLite. The daemon keeps its working copy in memory and writes
/// every change through here, one transaction per change, so a `kill -9` loses nothing.
public final class MetadataStore: Sendable {
    public let path: String
    private let pool: DatabasePool

    /// Where the daemon keeps it, so corralctl can find it too.
    public static func defaultPath(root: String) -> String { root + "/meta.db" }

    /// Opens (creating if needed) the database at `path` and brings its schema up to date.
    public init(path: String) throws(StoreError) {
        self.path = path
        var config = Configuration()
        config.label = "corral.metadata"
        config.foreignKeysEnabled = true
        // corralctl or a second daemon instance may hold the write lock for a moment; wait rather than fail.
        config.busyMode = .timeout(5)
        config.prepareDatabase { db in
            // WAL with synchronous=NORMAL: a commit reaches the WAL file before write() returns, so it
            // survives the daemon being killed; only an OS crash or power loss can drop the last
            // commits, and the database stays consistent even then. FULL would add an fsync to every
            // pod and container change for the sake of a reboot, after which /run and the pods it
            // describes are gone anyway and kubelet recreates them. (DatabasePool already chooses
            // this; it is stated here because it is a decision of ours.)
            try db.execute(sql: "PRAGMA synchronous = NORMAL")
        }
        let directory = (path as NSString).deletingLastPathComponent
        do {
            if !directory.isEmpty {
                try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true,
                                                        attributes: [.posixPermissions: 0o700])
            }
            pool = try DatabasePool(path: path, configuration: config)
            try Schema.migrator.migrate(pool)
        } catch {
            throw StoreError.database("open \(path): \(error)")
        }
    }

    /// Closes the database; every later call fails. Also happens when the store is released.
    public func close() throws(StoreError) {
        try mappingErrors { try pool.close() }
    }

    /// Everything, for rebuilding the in-memory state at start-up; oldest first.
    public func loadAll() throws(StoreError) -> (sandboxes: [SandboxRecord], containers: [ContainerRecord]) {
        try mappingErrors {
            try pool.read { db in
                let sandboxes = try SandboxRecord
                    .order(Column(SandboxRecord.CodingKeys.createdAt), Column(SandboxRecord.CodingKeys.id))
                    .fetchAll(db)
                let containers = try ContainerRecord
                    .order(Column(ContainerRecord.CodingKeys.createdAt), Column(ContainerRecord.CodingKeys.id))
                    .fetchAll(db)
                return (sandboxes, containers)
            }
        }
    }

    /// Several changes as one transaction: all of them are kept, or none (the body threw).
    public func transaction<T>(_ body: (borrowing StoreTransaction) throws(StoreError) -> T) throws(StoreError) -> T {
        // The transaction is bound to a local first: constructing the non-copyable value
        // inline as the borrowed argument crashes the 6.3 optimizer (release builds).
        try mappingErrors {
            try pool.write { db in
                let transaction = StoreTransaction(db: db)
                return try body(transaction)
            }
        }
    }

    // MARK: one change, one transaction

    public func insert(_ sandbox: SandboxRecord) throws(StoreError) {
        try transaction { tx throws(StoreError) in try tx.insert(sandbox) }
    }

    public func update(_ sandbox: SandboxRecord) throws(StoreError) {
        try transaction { tx throws(StoreError) in try tx.update(sandbox) }
    }

    /// Deletes the sandbox and all its containers.
    public func deleteSandbox(id: String) throws(StoreError) {
        try transaction { tx throws(StoreError) in try tx.deleteSandbox(id: id) }
    }

    public func insert(_ container: ContainerRecord) throws(StoreError) {
        try transaction { tx throws(StoreError) in try tx.insert(container) }
    }

    public func update(_ container: ContainerRecord) throws(StoreError) {
        try transaction { tx throws(StoreError) in try tx.update(container) }
    }

    public func deleteContainer(id: String) throws(StoreError) {
        try transaction { tx throws(StoreError) in try tx.deleteContainer(id: id) }
    }

    // MARK: reads

    public func sandbox(id: String) throws(StoreError) -> SandboxRecord? {
        try mappingErrors { try pool.read { db in try SandboxRecord.fetchOne(db, key: id) } }
    }

    public func container(id: String) throws(StoreError) -> ContainerRecord? {
        try mappingErrors { try pool.read { db in try ContainerRecord.fetchOne(db, key: id) } }
    }

    /// SQLite's `PRAGMA journal_mode`, for `corralctl doctor` and tests ("wal" expected).
    public func journalMode() throws(StoreError) -> String {
        try mappingErrors { try pool.read { db in try String.fetchOne(db, sql: "PRAGMA journal_mode") ?? "" } }
    }
}
