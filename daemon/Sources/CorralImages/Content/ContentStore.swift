#if canImport(Glibc)
import Glibc
#endif
import CorralRegistry
import CorralSystem
import Synchronization

/// Blobs addressed by digest under `<root>/content/sha256/<hex>`. A blob appears there only
/// complete and verified (see `BlobWriter`), so whatever is present can be trusted; the same
/// blob written twice at once just lands twice with the same bytes.
public struct ContentStore: Sendable {
    public let root: String
    var blobDirectory: String { root + "/sha256" }
    var ingestDirectory: String { root + "/ingest" }

    public init(root: String) throws(SystemError) {
        self.root = root
        try FileSystem.makeDirectories(root + "/sha256", mode: 0o700)
        try FileSystem.makeDirectories(root + "/ingest", mode: 0o700)
    }

    public func path(of digest: Digest) -> String {
        blobDirectory + "/" + digest.hex
    }

    public func size(of digest: Digest) -> Int64? {
        guard let status = try? FileSystem.status(path(of: digest)), status.kind == .regular else { return nil }
        return status.size
    }

    public func contains(_ digest: Digest) -> Bool {
        size(of: digest) != nil
    }

    public func writer() throws(SystemError) -> BlobWriter {
        try BlobWriter(store: self)
    }

    /// Stores bytes already in memory (manifests, configs).
    public func store(_ bytes: [UInt8], as digest: Digest) throws(ImageError) {
        if contains(digest) { return }
        let blob: BlobWriter
        do { blob = try writer() } catch { throw .system(error) }
        do { try blob.write(bytes) } catch { blob.abort(); throw .system(error) }
        try blob.commit(expected: digest, size: Int64(bytes.count))
    }

    /// `store` on a thread of its own, for async callers (see `BlobWriter.commitOffPool`).
    public func storeOffPool(_ bytes: [UInt8], as digest: Digest) async throws(ImageError) {
        if contains(digest) { return }
        try await BlockingWork.run { [self] in
            Result { () throws(ImageError) in try store(bytes, as: digest) }
        }.get()
    }

    /// Copies a file into the store, verifying it on the way (an OCI layout's blob).
    public func copy(file: String, as digest: Digest, size: Int64?) throws(ImageError) {
        if contains(digest) { return }
        let source: FileDescriptor
        do { source = try FileDescriptor.open(file, O_RDONLY) } catch { throw .system(error) }
        defer { source.close() }
        let blob: BlobWriter
        do { blob = try writer() } catch { throw .system(error) }
        do {
            try source.readToEnd(chunkSize: 1 << 20, subject: file) { (chunk) throws(SystemError) in try blob.write(chunk) }
        } catch {
            blob.abort()
            throw .system(error)
        }
        try blob.commit(expected: digest, size: size)
    }

    public func read(_ digest: Digest, limit: Int = 64 << 20) throws(ImageError) -> [UInt8] {
        do {
            return try FileSystem.readFile(path(of: digest), limit: limit)
        } catch {
            if error.errno == ENOENT { throw .notFound(digest.description) }
            throw .system(error)
        }
    }

    public func delete(_ digest: Digest) {
        FileSystem.remove(path(of: digest))
    }

    public func list() -> [Digest] {
        ((try? FileSystem.listDirectory(blobDirectory)) ?? []).compactMap { Digest.isHex($0) ? Digest(hex: $0) : nil }
    }

    /// Leftovers of writes a crash interrupted.
    func clearIngest() {
        for name in (try? FileSystem.listDirectory(ingestDirectory)) ?? [] {
            FileSystem.removeTree(ingestDirectory + "/" + name)
        }
    }

    private static let counter = Atomic<UInt64>(0)

    static func uniqueName() -> String {
        let n = counter.add(1, ordering: .relaxed).newValue
        return "\(ProcessControl.pid)-\(n)-\(String(UInt64.random(in: 0...UInt64.max), radix: 36))"
    }
}
