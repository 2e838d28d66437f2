#if canImport(Glibc)
import Glibc
#endif
import CorralSystem
import Dispatch
import Synchronization

/// cgroup v2 OOM notification: the kernel marks memory.events modified (an inotify IN_MODIFY)
/// whenever one of its counters changes; an OOM kill is a rise of `oom_kill`.
enum MemoryEventsWatch {
    static func watch(_ directory: String, queue: DispatchQueue,
                      handler: @escaping @Sendable () -> Void) throws(SystemError) -> any DispatchSourceRead {
        let raw = inotify_init1(Int32(IN_CLOEXEC) | Int32(IN_NONBLOCK))
        guard raw >= 0 else { throw SystemError("inotify_init1") }
        let inotify = FileDescriptor(rawValue: raw)
        let events = directory + "/memory.events"
        guard inotify_add_watch(raw, events, UInt32(IN_MODIFY) | UInt32(IN_DELETE_SELF)) >= 0 else {
            let error = SystemError("inotify_add_watch", events)
            inotify.close()
            throw error
        }
        // Read after the watch is armed, so a kill in between is seen as a rise.
        let seen = Counter(OOMKillCount.read(directory, .v2))
        let source = DispatchSource.makeReadSource(fileDescriptor: raw, queue: queue)
        source.setEventHandler {
            let watchEnded = drain(inotify)
            if watchEnded || !FileSystem.exists(events) {
                source.cancel()
                return
            }
            if seen.raise(to: OOMKillCount.read(directory, .v2)) { handler() }
        }
        source.setCancelHandler { inotify.close() }
        return source
    }

    /// Reads every queued event; true when the watch is gone (file deleted or unwatched).
    private static func drain(_ inotify: FileDescriptor) -> Bool {
        var ended = false
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = buffer.withUnsafeMutableBytes { Glibc.read(inotify.rawValue, $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else { return ended }
            // struct inotify_event: wd, mask, cookie, len, then `len` bytes of name.
            var offset = 0
            while offset + 16 <= count {
                let (mask, nameLength) = buffer.withUnsafeBytes {
                    ($0.loadUnaligned(fromByteOffset: offset + 4, as: UInt32.self),
                     Int($0.loadUnaligned(fromByteOffset: offset + 12, as: UInt32.self)))
                }
                if mask & (UInt32(IN_DELETE_SELF) | UInt32(IN_IGNORED)) != 0 { ended = true }
                offset += 16 + nameLength
            }
        }
    }

    /// The highest oom_kill count reported so far.
    private final class Counter: Sendable {
        private let value: Atomic<UInt64>
        init(_ initial: UInt64) { value = Atomic(initial) }

        /// Records `count`; true when it is higher than anything recorded before.
        func raise(to count: UInt64) -> Bool {
            value.max(count, ordering: .relaxed).oldValue < count
        }
    }
}
