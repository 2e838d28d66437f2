#if canImport(Glibc)
import Glibc
#endif
import CorralSystem
import Synchronization

/// The shim's own log: appended to a file in its state dir, the recent lines kept in memory
/// for `Debug.Logs`.
public final class ShimLog: Sendable {
    public enum Level: String, Sendable {
        case debug, info, warning, error
    }

    private struct State {
        var file: FileDescriptor?
        var recent: [String] = []
        var next = 0
    }

    private let state = Mutex(State())
    private let capacity: Int
    private let verbose: Bool

    public init(path: String?, capacity: Int = 256, verbose: Bool = false) {
        self.capacity = capacity
        self.verbose = verbose
        let file = path.flatMap { try? FileDescriptor.open($0, O_WRONLY | O_CREAT | O_APPEND, mode: 0o600) }
        state.withLock { $0.file = file }
    }

    public func callAsFunction(_ level: Level = .info, _ message: @autoclosure () -> String) {
        if level == .debug && !verbose { return }
        let line = "\(RFC3339.now) \(level.rawValue) \(message())"
        state.withLock { s in
            if s.recent.count < capacity {
                s.recent.append(line)
            } else {
                s.recent[s.next] = line
                s.next = (s.next + 1) % capacity
            }
            try? s.file?.writeAll(line + "\n")
        }
    }

    /// The newest `limit` lines (all kept when 0), oldest first.
    public func recent(limit: Int = 0) -> [String] {
        let lines = state.withLock { s in Array(s.recent[s.next...] + s.recent[..<s.next]) }
        return limit > 0 ? Array(lines.suffix(limit)) : lines
    }

    public func close() {
        state.withLock { s in
            s.file?.close()
            s.file = nil
        }
    }
}
