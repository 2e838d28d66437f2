#if canImport(Glibc)
import Glibc
#endif
import CorralRegistry
import CorralSystem
import Synchronization

/// A layer's blob while its download writes it, so that its unpacking can read along behind
/// the download instead of waiting for it: a pull then takes about the longer of the two
/// rather than their sum. The unpacking reaches the end of the blob only once the download
/// has been verified against its digest, so no snapshot is ever made of unverified bytes.
final class BlobFeed: Sendable {
    enum Outcome: Sendable, Equatable {
        case pending
        /// In the content store, digest verified.
        case committed
        case failed(String)
    }

    struct State: Sendable {
        /// The file being written, once the download has begun (nil when the blob came another
        /// way: it was there already, or another pull's download brought it).
        var path: String?
        var written: Int64 = 0
        var outcome = Outcome.pending
    }

    private let state = Mutex(State())
    /// Open once there is something to read: the download has begun, or the blob is in.
    let started = Latch()

    var current: State { state.withLock { $0 } }

    func attach(path: String) {
        state.withLock { $0.path = $0.outcome == .pending ? path : $0.path }
        started.open()
    }

    func advance(to written: Int64) {
        state.withLock { $0.written = written }
    }

    /// Idempotent; a failure already reported stays.
    func finish() {
        state.withLock { if $0.outcome == .pending { $0.outcome = .committed } }
        started.open()
    }

    func fail(_ reason: String) {
        state.withLock { if $0.outcome == .pending { $0.outcome = .failed(reason) } }
        started.open()
    }
}

/// Reads a blob through its feed: the download's file as far as it is written, waiting for
/// more while the download goes on, or the stored blob when there was no download to follow.
final class FeedSource: ByteSource {
    private let feed: BlobFeed
    private let storedPath: String
    private var fd: FileDescriptor?
    private var following = false
    private var offset: Int64 = 0

    init(_ feed: BlobFeed, storedPath: String) {
        self.feed = feed
        self.storedPath = storedPath
    }

    deinit {
        fd?.close()
    }

    func read(into buffer: UnsafeMutableRawBufferPointer) throws(ImageError) -> Int {
        var idle: UInt64 = 500_000
        while true {
            let now = feed.current
            if case .failed(let reason) = now.outcome { throw .unreachable("the layer's download failed: \(reason)") }
            if fd == nil {
                // Verified and in the store: read it there. Still arriving: follow the download's file.
                let path: String
                if now.outcome == .committed {
                    path = storedPath
                } else if let growing = now.path {
                    path = growing
                } else {
                    Clock.sleepThread(nanos: idle)
                    continue
                }
                do {
                    fd = try FileDescriptor.open(path, O_RDONLY)
                } catch where error.errno == ENOENT && path != storedPath {
                    // Renamed into the store between our look and our open: verified, then,
                    // as the download will report.
                    Clock.sleepThread(nanos: idle)
                    continue
                } catch {
                    throw .system(error)
                }
                following = path != storedPath
            }
            guard let fd else { continue }
            // Never past what the download has written (a restarted download rewrites from 0);
            // the rest of the file once the blob is verified.
            let available = !following || now.outcome == .committed ? buffer.count : Int(min(Int64(buffer.count), now.written - offset))
            if available > 0 {
                let n: Int
                do { n = try fd.read(into: UnsafeMutableRawBufferPointer(rebasing: buffer[..<available]), subject: storedPath) } catch {
                    throw .system(error)
                }
                if n > 0 || now.outcome == .committed || !following {
                    offset += Int64(n)
                    return n
                }
            }
            Clock.sleepThread(nanos: idle)
            idle = min(idle * 2, 10_000_000)
        }
    }
}
