import CorralSystem
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// Collects what a synchronous exec writes, up to a limit, on a thread of its own. Reading stops
/// at end of file or when told to: a process may leave a child holding the pipe open.
final class OutputCapture: Sendable {
    private struct State {
        var bytes: [UInt8] = []
        var truncated = false
        var stop = false
    }

    private let state = Mutex(State())
    private let ended = Latch()

    init(reading fd: FileDescriptor, limit: Int) {
        BlockingWork.start { [self] in
            defer { fd.close() }
            var buffer = [UInt8](repeating: 0, count: 65536)
            while !state.withLock({ $0.stop }) {
                var poller = pollfd(fd: fd.rawValue, events: Int16(POLLIN), revents: 0)
                let ready = poll(&poller, 1, 50)
                if ready < 0 && errno != EINTR { break }
                guard ready > 0 else { continue }
                let n = buffer.withUnsafeMutableBytes { read(fd.rawValue, $0.baseAddress, $0.count) }
                if n < 0 && errno == EINTR { continue }
                guard n > 0 else { break }
                state.withLock { s in
                    let room = max(0, limit - s.bytes.count)
                    if n > room { s.truncated = true }
                    s.bytes += buffer[0..<min(n, room)]
                }
            }
            ended.open()
        }
    }

    /// What was read, once the stream ended or `grace` passed.
    func finish(grace: Duration) async -> (bytes: [UInt8], truncated: Bool) {
        await ended.wait(timeout: grace)
        return state.withLock { s in
            s.stop = true
            return (s.bytes, s.truncated)
        }
    }
}
