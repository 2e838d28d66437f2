import CorralRegistry
import CorralSystem
import Logging
import Synchronization

/// Unpacked layers, one directory per chain ID: `<root>/snapshots/<number>/fs`. A layer is
/// unpacked into a temp directory and renamed into place with its row written, so no
/// half-unpacked snapshot is ever visible; callers wanting the same chain ID at once share
/// one unpacking.
final class SnapshotStore: Sendable {
    let root: String
    private let database: ImageDatabase
    private let logger: Logger
    private let inFlight = Mutex<[String: Task<SnapshotRecord, any Error>]>([:])

    init(root: String, database: ImageDatabase, logger: Logger) throws(SystemError) {
        self.root = root
        self.database = database
        self.logger = logger
        try FileSystem.makeDirectories(root, mode: 0o700)
        // Each layer's tree in a block group of its own (see `spreadSubdirectories`).
        FileSystem.spreadSubdirectories(root)
    }

    func directory(_ number: Int64) -> String {
        root + "/\(number)"
    }

    /// The lower dir overlay mounts.
    func filesystem(_ snapshot: SnapshotRecord) -> String {
        directory(snapshot.number) + "/fs"
    }

    func existing(_ chainID: String) -> SnapshotRecord? {
        try? database.snapshot(chainID)
    }

    /// Unpacks the layer in `blob` as `chainID` unless it is there already, reading through
    /// `feed` while its download goes on. The layer's uncompressed digest must be `diffID`.
    func ensure(chainID: String, diffID: String, blob: String, feed: BlobFeed? = nil) async throws -> SnapshotRecord {
        if let existing = try database.snapshot(chainID) { return existing }
        let task = inFlight.withLock { running -> Task<SnapshotRecord, any Error> in
            if let task = running[chainID] { return task }
            let task = Task<SnapshotRecord, any Error> {
                defer { _ = self.inFlight.withLock { $0.removeValue(forKey: chainID) } }
                return try await self.unpack(chainID: chainID, diffID: diffID, blob: blob, feed: feed)
            }
            running[chainID] = task
            return task
        }
        return try await task.value
    }

    private func unpack(chainID: String, diffID: String, blob: String, feed: BlobFeed?) async throws -> SnapshotRecord {
        if let existing = try database.snapshot(chainID) { return existing }
        let started = ContinuousClock.now
        let result = await BlockingWork.run { [self] () -> Result<SnapshotRecord, any Error> in
            Result { try unpackNow(chainID: chainID, diffID: diffID, blob: blob, feed: feed) }
        }
        let record = try result.get()
        logger.debug("layer unpacked", metadata: ["chain_id": "\(chainID)", "bytes": "\(record.bytes)",
                                                  "elapsed": "\(ContinuousClock.now - started)"])
        return record
    }

    private func unpackNow(chainID: String, diffID: String, blob: String, feed: BlobFeed?) throws -> SnapshotRecord {
        let temporary = root + "/tmp-" + ContentStore.uniqueName()
        try FileSystem.makeDirectories(temporary + "/fs", mode: 0o755)
        do {
            let result = if let feed {
                try LayerExtractor.unpack(FeedSource(feed, storedPath: blob), into: temporary + "/fs", logger: logger)
            } else {
                try LayerExtractor.unpack(blob: blob, into: temporary + "/fs", logger: logger)
            }
            guard result.diffID.description == diffID else {
                throw ImageError.digestMismatch(expected: diffID, actual: result.diffID.description)
            }
            // Counted as du counts it (blocks, directories, hard links once), which is what
            // kubelet sets against the disk's capacity; the tar's lengths say less.
            let usage = DiskUsage.of(temporary)
            let (record, placed) = try database.addSnapshot(
                chainID: chainID, diffID: diffID, bytes: Int64(usage.bytes), inodes: Int64(usage.inodes)
            ) { number in
                try FileSystem.rename(temporary, to: directory(number))
            }
            if !placed { FileSystem.removeTree(temporary) }
            FileSystem.syncDirectory(root)
            return record
        } catch {
            FileSystem.removeTree(temporary)
            throw error
        }
    }

    /// Removes what a crash left: temp dirs, and directories without a row.
    func sweep() {
        let known = Set(((try? database.snapshots()) ?? []).map { "\($0.number)" })
        for name in (try? FileSystem.listDirectory(root)) ?? [] where !known.contains(name) {
            logger.info("removing leftover snapshot directory", metadata: ["path": "\(root)/\(name)"])
            FileSystem.removeTree(root + "/" + name)
        }
    }

    /// Moves a snapshot's directory out of sight; `purge` removes it later.
    func discard(_ snapshot: SnapshotRecord) {
        let trash = root + "/trash-" + ContentStore.uniqueName()
        if (try? FileSystem.rename(directory(snapshot.number), to: trash)) == nil {
            FileSystem.removeTree(directory(snapshot.number))
        }
    }

    func purgeTrash() {
        for name in (try? FileSystem.listDirectory(root)) ?? [] where name.hasPrefix("trash-") {
            FileSystem.removeTree(root + "/" + name)
        }
    }
}
