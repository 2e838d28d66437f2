#if canImport(Glibc)
import Glibc
#endif
import CorralRegistry
import CorralSystem
import struct Crypto.SHA256

/// One blob being written into the content store: a temp file in `ingest/`, hashed as it
/// grows, moved into place by `commit` only when its digest and size are the ones expected.
/// Used by one task at a time (which may hand it to a thread of its own for `commit`).
public final class BlobWriter: @unchecked Sendable {
    let temporaryPath: String
    private let store: ContentStore
    /// -1 once committed or aborted: later calls fail with EBADF.
    private var fd: FileDescriptor
    private var hasher = SHA256()
    public private(set) var written: Int64 = 0

    init(store: ContentStore) throws(SystemError) {
        self.store = store
        temporaryPath = store.ingestDirectory + "/" + ContentStore.uniqueName()
        fd = try FileDescriptor.open(temporaryPath, O_WRONLY | O_CREAT | O_EXCL, mode: 0o644)
    }

    deinit {
        abort()
    }

    public func write(_ bytes: UnsafeRawBufferPointer) throws(SystemError) {
        try whole { () throws(SystemError) in try fd.writeAll(bytes, using: .write, subject: temporaryPath) }
        hasher.update(bufferPointer: bytes)
        written += Int64(bytes.count)
    }

    public func write(_ bytes: [UInt8]) throws(SystemError) {
        try whole { () throws(SystemError) in try fd.writeAll(bytes, using: .write, subject: temporaryPath) }
        hasher.update(data: bytes)
        written += Int64(bytes.count)
    }

    /// A write that fails halfway (a full disk) leaves the file as it was before it: a resumed
    /// download appends at `written`, and the file must hold exactly the bytes hashed so far.
    private func whole(_ write: () throws(SystemError) -> Void) throws(SystemError) {
        do throws(SystemError) {
            try write()
        } catch {
            try? fd.truncate(to: written, subject: temporaryPath)
            throw error
        }
    }

    /// Starts over, for a download whose server would not resume where it stopped.
    public func reset() throws(SystemError) {
        try fd.truncateToEmpty(subject: temporaryPath)
        hasher = SHA256()
        written = 0
    }

    /// Verifies and moves the blob into place; on a mismatch nothing is stored.
    @discardableResult
    public func commit(expected: Digest, size: Int64?) throws(ImageError) -> String {
        let actual = Digest(finishing: hasher)
        if let size, size != written {
            abort()
            throw .sizeMismatch(digest: expected.description, expected: size, actual: written)
        }
        guard actual == expected else {
            abort()
            throw .digestMismatch(expected: expected.description, actual: actual.description)
        }
        do {
            try fd.sync(subject: temporaryPath)
        } catch {
            abort()
            throw .system(error)
        }
        fd.close()
        fd = FileDescriptor(rawValue: -1)
        let target = store.path(of: expected)
        do {
            try FileSystem.rename(temporaryPath, to: target)
        } catch {
            FileSystem.remove(temporaryPath)
            throw .system(error)
        }
        FileSystem.syncDirectory(store.blobDirectory)
        return target
    }

    /// `commit` on a thread of its own: its two fsyncs take milliseconds, and on the cooperative
    /// pool (two threads here) ten pulls' commits held up every other step of every pull.
    @discardableResult
    public func commitOffPool(expected: Digest, size: Int64?) async throws(ImageError) -> String {
        try await BlockingWork.run { [self] in
            Result { () throws(ImageError) in try commit(expected: expected, size: size) }
        }.get()
    }

    public func abort() {
        guard fd.rawValue >= 0 else { return }
        fd.close()
        fd = FileDescriptor(rawValue: -1)
        FileSystem.remove(temporaryPath)
    }
}

/// Downloads stream straight into the store's ingest directory.
extension BlobWriter: BlobSink {}
