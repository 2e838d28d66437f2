/// An image as its rows hold it.
struct ImageRecord: Sendable, Equatable {
    var id: String
    var manifestDigest: String
    var size: Int64
    var config: [UInt8]
    var chainIDs: [String]
    var pinned: Bool
    var tags: [String]
    var digests: [String]
}

/// What a name of an image is: a tag (`name:tag`, moves to the newest image pulled under
/// it) or a repo digest (`name@sha256:…`, fixed to one manifest).
enum NameKind: String, Sendable {
    case tag, digest
}

/// An unpacked layer: `<root>/snapshots/<number>/fs`.
struct SnapshotRecord: Sendable, Equatable {
    var chainID: String
    var number: Int64
    var diffID: String
    var bytes: Int64
    var inodes: Int64
}

/// What a removal left unreferenced, for the files to go.
struct Garbage: Sendable, Equatable {
    var blobs: [String] = []
    var snapshots: [SnapshotRecord] = []
}
