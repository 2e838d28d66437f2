import CorralSystem
import Synchronization
import TTRPC

#if canImport(Glibc)
import Glibc
#endif

/// How many bytes of a synchronous exec's output are kept, stdout and stderr together. The whole
/// answer travels in one frame, so the budget is what fits one, less room for the envelope:
/// kubelet reads 10 KiB of a probe's output, and more of it would only grow the shim.
final class OutputBudget: Sendable {
    static let most = Frame.maxPayloadLength - (64 << 10)

    private let remaining: Mutex<Int>

    /// `requested` 0 is the most.
    init(requested: UInt64) {
        remaining = Mutex(requested == 0 ? Self.most : min(Int(clamping: requested), Self.most))
    }

    /// How many of `count` bytes may still be kept.
    func take(_ count: Int) -> Int {
        remaining.withLock { left in
            let granted = min(count, left)
            left -= granted
            return granted
        }
    }
}

/// Collects what a synchronous exec writes, within a budget it shares with the other stream,
/// on a thread of its own. Beyond the budget the output is still read, and dropped, so that the
/// process never blocks on a full pipe. Reading stops at end of file or when told to: a process
/// may leave a child holding the pipe open.
final class OutputCapture: Sendable {
    private struct State {
        var bytes: [UInt8] = []
        var truncated = false
        var stop = false
    }

    private let state = Mutex(State())
    private let ended = Latch()

    init(reading fd: FileDescriptor, budget: OutputBudget) {
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
                let kept = budget.take(n)
                state.withLock { s in
                    if kept < n { s.truncated = true }
                    if kept > 0 { s.bytes += buffer[0..<kept] }
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
            defer { s.bytes = [] }
            return (s.bytes, s.truncated)
        }
    }
}
