#if canImport(Glibc)
import Glibc
#endif
import CorralSystem
import Dispatch

/// Calls a handler whenever the kernel reports an OOM in a memory cgroup.
///
/// v1 registers an eventfd for memory.oom_control; v2 watches memory.events with inotify and
/// reports each rise of its oom_kill counter. The watch ends with `stop()`, when the watcher
/// is released, or by itself once the cgroup is gone (v1 learns that at once from its eventfd;
/// kernfs sends v2 no inotify event on rmdir, so there the shim stops it on delete).
public final class OOMWatcher: @unchecked Sendable {
    // @unchecked: `source` is set once in init; Dispatch sources are safe to cancel from any thread.
    private let source: any DispatchSourceRead

    /// Watches the memory cgroup of `paths`. `handler` runs on `queue`, once per notification.
    public convenience init(paths: CgroupPaths, queue: DispatchQueue = .global(),
                            handler: @escaping @Sendable () -> Void) throws(SystemError) {
        guard let (directory, version) = paths.directory(for: "memory") else {
            throw SystemError("watch OOM", "no memory cgroup", errno: ENOENT)
        }
        try self.init(memoryDirectory: directory, version: version, queue: queue, handler: handler)
    }

    public init(memoryDirectory: String, version: CgroupVersion, queue: DispatchQueue = .global(),
                handler: @escaping @Sendable () -> Void) throws(SystemError) {
        switch version {
        case .v1: source = try OOMEventFD.watch(memoryDirectory, queue: queue, handler: handler)
        case .v2: source = try MemoryEventsWatch.watch(memoryDirectory, queue: queue, handler: handler)
        }
        source.resume()
    }

    /// Ends the watch; its descriptor is closed on the queue once Dispatch lets go of it.
    public func stop() {
        source.cancel()
    }

    public var isStopped: Bool {
        source.isCancelled
    }

    deinit {
        source.cancel()
    }
}
