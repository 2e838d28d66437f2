import CorralSystem
import Dispatch
import Synchronization
import TTRPCWire

/// One unix-socket connection carrying ttrpc frames, for either role.
///
/// Reads run on a Dispatch read source (no thread parked per connection); each wakeup drains
/// what the kernel has and hands decoded events to `onEvent` in order. Writes are whole frames,
/// serialised by a lock, on a blocking socket whose send timeout bounds a peer that stopped
/// reading. The descriptor is closed only under that lock, so no late writer can hit a reused fd.
final class FramedConnection: Sendable {
    /// Return false to drop the connection (a malformed frame, say).
    typealias EventHandler = @Sendable (FrameDecoder.Event) -> Bool

    let fd: FileDescriptor
    private let queue: DispatchQueue
    private let source: Mutex<ReadSource?> = Mutex(nil)
    private let decoder = Mutex(FrameDecoder())
    private let writeState = Mutex(false)  // true once closed
    private let onEvent: EventHandler
    private let onClose: @Sendable () -> Void

    init(fd: FileDescriptor, label: String, sendTimeoutMillis: Int64 = 10_000,
         onEvent: @escaping EventHandler, onClose: @escaping @Sendable () -> Void) {
        self.fd = fd
        self.queue = DispatchQueue(label: label)
        self.onEvent = onEvent
        self.onClose = onClose
        UnixSocket.setSendTimeout(fd, milliseconds: sendTimeoutMillis)
    }

    func start() {
        let readSource = DispatchSource.makeReadSource(fileDescriptor: fd.rawValue, queue: queue)
        readSource.setEventHandler { [self] in drain() }
        readSource.setCancelHandler { [self] in
            writeState.withLock { closed in
                closed = true
                fd.close()
            }
            onClose()
        }
        source.withLock { $0 = ReadSource(readSource) }
        readSource.resume()
    }

    var isClosed: Bool { writeState.withLock { $0 } }

    func send(_ frame: Frame) throws(RPCError) {
        let bytes: [UInt8]
        do {
            bytes = try frame.encoded()
        } catch {
            throw RPCError(.resourceExhausted, error.description)
        }
        let failure = writeState.withLock { closed -> SystemError? in
            if closed { return SystemError("send", errno: 9 /* EBADF */) }
            do throws(SystemError) {
                try fd.writeAll(bytes)
                return nil
            } catch {
                return error
            }
        }
        if let failure {
            close()
            throw RPCError(.unavailable, "connection closed: \(failure)")
        }
    }

    /// Stops reading; the descriptor is closed once the read source has let go of it.
    func close() {
        let current = source.withLock { current -> ReadSource? in
            let s = current
            current = nil
            return s
        }
        guard let current else { return }
        UnixSocket.shutdown(fd)
        current.source.cancel()
    }

    private func drain() {
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let count: Int?
            do {
                count = try fd.receiveAvailable(into: &chunk)
            } catch {
                close()
                return
            }
            guard let count else { return }
            if count == 0 {
                close()
                return
            }
            decoder.withLock { $0.feed(chunk[0..<count]) }
            while let event = decoder.withLock({ $0.next() }) {
                if !onEvent(event) {
                    close()
                    return
                }
            }
            if count < chunk.count { return }
        }
    }
}

/// A Dispatch source is safe to cancel from any thread; the type just does not say so.
struct ReadSource: @unchecked Sendable {
    let source: any DispatchSourceRead
    init(_ source: any DispatchSourceRead) { self.source = source }
}
