@testable import CorralImages
import CorralRegistry
import CorralSystem
import Testing
import TestSupport

#if canImport(Glibc)
import Glibc
#endif

/// The unpacking's view of a download in progress: bytes as far as they are written, no end
/// before the blob is verified, the download's failure as its own, and the stored blob when
/// there was no download to follow.
@Suite("following a download")
struct BlobFeedTests {
    /// The reader waits by sleeping its thread, so it runs on a thread of its own as the
    /// unpacking does (on the cooperative pool, waiting readers would starve the writers).
    struct Reader: @unchecked Sendable {
        let source: FeedSource
        func next() -> Task<[UInt8], any Error> {
            Task { try await BlockingWork.run { Result { try BlobFeedTests.read(source, upTo: 100) } }.get() }
        }
    }

    static func read(_ source: FeedSource, upTo count: Int) throws -> [UInt8] {
        var buffer = [UInt8](repeating: 0, count: count)
        let n = try buffer.withUnsafeMutableBytes { try source.read(into: $0) }
        return Array(buffer[..<n])
    }

    @Test func readsWhatIsWrittenAndEndsOnlyOnceVerified() async throws {
        let dir = try TemporaryDirectory("feed")
        defer { dir.remove() }
        let growing = dir.path + "/ingest"
        let fd = try FileDescriptor.open(growing, O_WRONLY | O_CREAT, mode: 0o644)
        defer { fd.close() }
        let feed = BlobFeed()
        feed.attach(path: growing)
        let source = FeedSource(feed, storedPath: dir.path + "/stored")
        try fd.writeAll(Array("first".utf8))
        // Written but not yet reported: nothing to read beyond what the download vouched for.
        feed.advance(to: 5)
        #expect(try Self.read(source, upTo: 100) == Array("first".utf8))
        // More arrives while the reader waits.
        let reader = Reader(source: source).next()
        try await Task.sleep(for: .milliseconds(50))
        try fd.writeAll(Array("second".utf8))
        feed.advance(to: 11)
        #expect(try await reader.value == Array("second".utf8))
        // At the file's end but not verified: the reader waits rather than ending.
        let end = Reader(source: source).next()
        try await Task.sleep(for: .milliseconds(50))
        feed.finish()
        #expect(try await end.value == [])
    }

    @Test func aFailedDownloadFailsTheReaderWithItsReason() async throws {
        let dir = try TemporaryDirectory("feedfail")
        defer { dir.remove() }
        let growing = dir.path + "/ingest"
        try FileDescriptor.open(growing, O_WRONLY | O_CREAT, mode: 0o644).close()
        let feed = BlobFeed()
        feed.attach(path: growing)
        let source = FeedSource(feed, storedPath: dir.path + "/stored")
        let reader = Reader(source: source).next()
        try await Task.sleep(for: .milliseconds(50))
        feed.fail("connection reset")
        await #expect(throws: ImageError.unreachable("the layer's download failed: connection reset")) { try await reader.value }
    }

    @Test func withoutADownloadTheStoredBlobIsRead() throws {
        let dir = try TemporaryDirectory("feedstored")
        defer { dir.remove() }
        try FileSystem.writeAtomically(dir.path + "/stored", Array("whole".utf8))
        let feed = BlobFeed()
        feed.finish()
        let source = FeedSource(feed, storedPath: dir.path + "/stored")
        #expect(try Self.read(source, upTo: 100) == Array("whole".utf8))
        #expect(try Self.read(source, upTo: 100) == [])
    }
}
