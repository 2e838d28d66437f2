import Foundation
import GRDB

/// The image store's metadata in SQLite (WAL, every change one transaction): images, their
/// names, the blobs and snapshots they use, and the container root file systems made from them.
final class ImageDatabase: Sendable {
    let pool: DatabasePool

    init(path: String) throws {
        var configuration = Configuration()
        configuration.foreignKeysEnabled = true
        configuration.busyMode = .timeout(10)
        pool = try DatabasePool(path: path, configuration: configuration)
        try ImageDatabase.migrator.migrate(pool)
    }

    private static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in
            try db.execute(sql: """
                CREATE TABLE images (
                    id TEXT PRIMARY KEY NOT NULL,
                    manifest_digest TEXT NOT NULL,
                    size INTEGER NOT NULL,
                    config BLOB NOT NULL,
                    chain_ids TEXT NOT NULL,
                    pinned INTEGER NOT NULL DEFAULT 0,
                    created_at REAL NOT NULL DEFAULT (julianday('now'))
                );
                CREATE TABLE image_names (
                    name TEXT PRIMARY KEY NOT NULL,
                    kind TEXT NOT NULL,
                    image_id TEXT NOT NULL REFERENCES images(id) ON DELETE CASCADE
                );
                CREATE INDEX image_names_by_image ON image_names(image_id);
                CREATE TABLE image_blobs (
                    image_id TEXT NOT NULL REFERENCES images(id) ON DELETE CASCADE,
                    digest TEXT NOT NULL,
                    PRIMARY KEY (image_id, digest)
                );
                CREATE INDEX image_blobs_by_digest ON image_blobs(digest);
                CREATE TABLE image_layers (
                    image_id TEXT NOT NULL REFERENCES images(id) ON DELETE CASCADE,
                    chain_id TEXT NOT NULL,
                    PRIMARY KEY (image_id, chain_id)
                );
                CREATE INDEX image_layers_by_chain ON image_layers(chain_id);
                CREATE TABLE snapshots (
                    number INTEGER PRIMARY KEY AUTOINCREMENT,
                    chain_id TEXT NOT NULL UNIQUE,
                    diff_id TEXT NOT NULL,
                    bytes INTEGER NOT NULL,
                    inodes INTEGER NOT NULL
                );
                CREATE TABLE rootfs (
                    container_id TEXT NOT NULL,
                    chain_id TEXT NOT NULL,
                    PRIMARY KEY (container_id, chain_id)
                );
                CREATE INDEX rootfs_by_chain ON rootfs(chain_id);
                """)
        }
        return migrator
    }

    // MARK: images

    func images() throws -> [ImageRecord] {
        try pool.read { db in
            let names = try Row.fetchAll(db, sql: "SELECT name, kind, image_id FROM image_names ORDER BY name")
            var byImage: [String: [(String, String)]] = [:]
            for row in names { byImage[row["image_id"], default: []].append((row["name"], row["kind"])) }
            return try Row.fetchAll(db, sql: "SELECT * FROM images ORDER BY created_at, id").map {
                ImageDatabase.record($0, names: byImage[$0["id"]] ?? [])
            }
        }
    }

    func image(id: String) throws -> ImageRecord? {
        try pool.read { db in try ImageDatabase.image(db, id: id) }
    }

    func imageID(named name: String) throws -> String? {
        try pool.read { db in
            try String.fetchOne(db, sql: "SELECT image_id FROM image_names WHERE name = ?", arguments: [name])
        }
    }

    func imageIDs(withPrefix prefix: String) throws -> [String] {
        try pool.read { db in
            try String.fetchAll(db, sql: "SELECT id FROM images WHERE substr(id, 1, ?) = ? LIMIT 2",
                                arguments: [prefix.utf8.count, prefix])
        }
    }

    /// Records an image (or adds names to one already there). A tag that named another image
    /// moves to this one; the other image stays, reachable by id and repo digest.
    func commit(_ image: ImageRecord, blobs: [String]) throws {
        try pool.write { db in
            try db.execute(sql: """
                INSERT INTO images (id, manifest_digest, size, config, chain_ids, pinned) VALUES (?, ?, ?, ?, ?, ?)
                ON CONFLICT(id) DO UPDATE SET pinned = max(pinned, excluded.pinned)
                """, arguments: [image.id, image.manifestDigest, image.size, Data(image.config),
                                 image.chainIDs.joined(separator: " "), image.pinned])
            for digest in blobs {
                try db.execute(sql: "INSERT OR IGNORE INTO image_blobs (image_id, digest) VALUES (?, ?)",
                               arguments: [image.id, digest])
            }
            for chainID in image.chainIDs {
                try db.execute(sql: "INSERT OR IGNORE INTO image_layers (image_id, chain_id) VALUES (?, ?)",
                               arguments: [image.id, chainID])
            }
            for (names, kind) in [(image.tags, NameKind.tag), (image.digests, NameKind.digest)] {
                for name in names {
                    try db.execute(sql: "INSERT OR REPLACE INTO image_names (name, kind, image_id) VALUES (?, ?, ?)",
                                   arguments: [name, kind.rawValue, image.id])
                }
            }
        }
    }

    /// Removes one name. The image goes with it when no tag is left and either a tag was
    /// removed or no name at all is left; a repository's repo digests go with its last tag
    /// (as `docker rmi` does). Answers whether the image went.
    func removeName(_ name: String) throws -> Bool {
        try pool.write { db in
            guard let row = try Row.fetchOne(db, sql: "SELECT kind, image_id FROM image_names WHERE name = ?", arguments: [name]) else {
                return false
            }
            let id: String = row["image_id"]
            let kind: String = row["kind"]
            try db.execute(sql: "DELETE FROM image_names WHERE name = ?", arguments: [name])
            // A repository's repo digests go with its last tag.
            if kind == NameKind.tag.rawValue, let colon = name.lastIndex(of: ":") {
                let repository = String(name[..<colon])
                let sameRepository = try String.fetchAll(db, sql: "SELECT name FROM image_names WHERE image_id = ? AND kind = 'tag'",
                                                         arguments: [id]).filter { $0.hasPrefix(repository + ":") }
                if sameRepository.isEmpty {
                    try db.execute(sql: "DELETE FROM image_names WHERE image_id = ? AND kind = 'digest' AND substr(name, 1, ?) = ?",
                                   arguments: [id, repository.utf8.count + 1, repository + "@"])
                }
            }
            let tags = try Int.fetchOne(db, sql: "SELECT count(*) FROM image_names WHERE image_id = ? AND kind = 'tag'", arguments: [id]) ?? 0
            let all = try Int.fetchOne(db, sql: "SELECT count(*) FROM image_names WHERE image_id = ?", arguments: [id]) ?? 0
            if tags == 0 && (kind == NameKind.tag.rawValue || all == 0) {
                try db.execute(sql: "DELETE FROM images WHERE id = ?", arguments: [id])
                return true
            }
            return false
        }
    }

    func deleteImage(id: String) throws {
        try pool.write { db in
            try db.execute(sql: "DELETE FROM images WHERE id = ?", arguments: [id])
        }
    }

    // MARK: snapshots

    func snapshot(_ chainID: String) throws -> SnapshotRecord? {
        try pool.read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM snapshots WHERE chain_id = ?", arguments: [chainID]).map(ImageDatabase.snapshot)
        }
    }

    func snapshots() throws -> [SnapshotRecord] {
        try pool.read { db in try Row.fetchAll(db, sql: "SELECT * FROM snapshots").map(ImageDatabase.snapshot) }
    }

    /// Records a snapshot unpacked elsewhere; `place` moves it to the directory its number
    /// names, inside the transaction, so a row never exists without its directory. If the
    /// chain ID is already there, that record wins and nothing is placed.
    func addSnapshot(chainID: String, diffID: String, bytes: Int64, inodes: Int64,
                     place: (Int64) throws -> Void) throws -> (record: SnapshotRecord, placed: Bool) {
        try pool.write { db in
            if let existing = try Row.fetchOne(db, sql: "SELECT * FROM snapshots WHERE chain_id = ?", arguments: [chainID]) {
                return (ImageDatabase.snapshot(existing), false)
            }
            try db.execute(sql: "INSERT INTO snapshots (chain_id, diff_id, bytes, inodes) VALUES (?, ?, ?, ?)",
                           arguments: [chainID, diffID, bytes, inodes])
            let number = db.lastInsertedRowID
            try place(number)
            return (SnapshotRecord(chainID: chainID, number: number, diffID: diffID, bytes: bytes, inodes: inodes), true)
        }
    }

    func usage() throws -> (bytes: Int64, inodes: Int64) {
        try pool.read { db in
            let row = try Row.fetchOne(db, sql: "SELECT coalesce(sum(bytes), 0) AS b, coalesce(sum(inodes), 0) AS i FROM snapshots")
            return (row?["b"] ?? 0, row?["i"] ?? 0)
        }
    }

    // MARK: container root file systems

    func addRootfs(containerID: String, chainIDs: [String]) throws {
        try pool.write { db in
            for chainID in chainIDs {
                try db.execute(sql: "INSERT OR IGNORE INTO rootfs (container_id, chain_id) VALUES (?, ?)",
                               arguments: [containerID, chainID])
            }
        }
    }

    func removeRootfs(containerID: String) throws {
        try pool.write { db in
            try db.execute(sql: "DELETE FROM rootfs WHERE container_id = ?", arguments: [containerID])
        }
    }

    // MARK: garbage

    /// Deletes the rows of snapshots no image or container uses and answers them, with the
    /// blobs no image uses; whatever `keep` says is in use by work under way stays.
    func collectGarbage(keep: (String) -> Bool, blobsOnDisk: [String]) throws -> Garbage {
        try pool.write { db in
            var garbage = Garbage()
            let unused = try Row.fetchAll(db, sql: """
                SELECT * FROM snapshots s WHERE NOT EXISTS (SELECT 1 FROM image_layers l WHERE l.chain_id = s.chain_id)
                AND NOT EXISTS (SELECT 1 FROM rootfs r WHERE r.chain_id = s.chain_id)
                """).map(ImageDatabase.snapshot)
            for snapshot in unused where !keep(snapshot.chainID) {
                try db.execute(sql: "DELETE FROM snapshots WHERE number = ?", arguments: [snapshot.number])
                garbage.snapshots.append(snapshot)
            }
            let used = Set(try String.fetchAll(db, sql: "SELECT DISTINCT digest FROM image_blobs"))
            garbage.blobs = blobsOnDisk.filter { !used.contains($0) && !keep($0) }
            return garbage
        }
    }

    // MARK: rows

    private static func image(_ db: Database, id: String) throws -> ImageRecord? {
        guard let row = try Row.fetchOne(db, sql: "SELECT * FROM images WHERE id = ?", arguments: [id]) else { return nil }
        let names = try Row.fetchAll(db, sql: "SELECT name, kind FROM image_names WHERE image_id = ? ORDER BY name", arguments: [id])
        return record(row, names: names.map { ($0["name"], $0["kind"]) })
    }

    private static func record(_ row: Row, names: [(String, String)]) -> ImageRecord {
        let chain: String = row["chain_ids"]
        return ImageRecord(
            id: row["id"], manifestDigest: row["manifest_digest"], size: row["size"],
            config: [UInt8](row["config"] as Data? ?? Data()),
            chainIDs: chain.split(separator: " ").map(String.init), pinned: row["pinned"],
            tags: names.filter { $0.1 == NameKind.tag.rawValue }.map(\.0),
            digests: names.filter { $0.1 == NameKind.digest.rawValue }.map(\.0))
    }

    private static func snapshot(_ row: Row) -> SnapshotRecord {
        SnapshotRecord(chainID: row["chain_id"], number: row["number"], diffID: row["diff_id"],
                       bytes: row["bytes"], inodes: row["inodes"])
    }
}
