#if canImport(Glibc)
import Glibc
#endif
import CorralSystem
import Crypto

/// One blob being written into the content store: a temp file in `ingest/`, hashed as it
/// grows, moved into place by `commit` only when its digest and size are the ones expected.
/// Used by one task at a time.
public final class BlobWriter {
    let temporaryPath: String
    private let store: ContentStore
    private var fd: Int32
    private var hasher = SHA256()
    public private(set) var written: Int64 = 0

    init(store: ContentStore) throws(SystemError) {
        self.store = store
        temporaryPath = store.ingestDirectory + "/" + ContentStore.uniqueName()
        fd = Glibc.open(temporaryPath, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw SystemError("open", temporaryPath) }
    }

    deinit {
        abort()
    }

    public func write(_ bytes: UnsafeRawBufferPointer) throws(SystemError) {
        try RawIO.writeAll(fd, bytes, subject: temporaryPath)
        hasher.update(bufferPointer: bytes)
        written += Int64(bytes.count)
    }

    public func write(_ bytes: [UInt8]) throws(SystemError) {
        let failure = bytes.withUnsafeBytes { raw -> SystemError? in
            do throws(SystemError) { try write(raw) } catch { return error }
            return nil
        }
        if let failure { throw failure }
    }

    /// Starts over, for a download whose server would not resume where it stopped.
    public func reset() throws(SystemError) {
        guard ftruncate(fd, 0) == 0, lseek(fd, 0, SEEK_SET) == 0 else { throw SystemError("ftruncate", temporaryPath) }
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
        guard fsync(fd) == 0 else {
            let error = SystemError("fsync", temporaryPath)
            abort()
            throw .system(error)
        }
        _ = Glibc.close(fd)
        fd = -1
        let target = store.path(of: expected)
        guard rename(temporaryPath, target) == 0 else {
            let error = SystemError("rename", target)
            unlink(temporaryPath)
            throw .system(error)
        }
        RawIO.syncDirectory(store.blobDirectory)
        return target
    }

    public func abort() {
        guard fd >= 0 else { return }
        _ = Glibc.close(fd)
        fd = -1
        unlink(temporaryPath)
    }
}
