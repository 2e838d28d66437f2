#if canImport(Glibc)
import Glibc
#endif
import CorralSystem
import Dispatch

/// cgroup v1 OOM notification: an eventfd registered through cgroup.event_control.
enum OOMEventFD {
    static func watch(_ directory: String, queue: DispatchQueue,
                      handler: @escaping @Sendable () -> Void) throws(SystemError) -> any DispatchSourceRead {
        let raw = EventFD.make()
        guard raw >= 0 else { throw SystemError("eventfd") }
        let event = FileDescriptor(rawValue: raw)
        do throws(SystemError) {
            try register(event, directory)
        } catch {
            event.close()
            throw error
        }
        let eventControl = directory + "/cgroup.event_control"
        let source = DispatchSource.makeReadSource(fileDescriptor: raw, queue: queue)
        // The handler holds the source until cancellation, which Dispatch follows by dropping it.
        source.setEventHandler {
            guard drain(event) else { return }
            // Removing the cgroup also signals the eventfd; runc tells the two apart the same way.
            guard FileSystem.exists(eventControl) else {
                source.cancel()
                return
            }
            handler()
        }
        source.setCancelHandler { event.close() }
        return source
    }

    /// "<eventfd> <oom_control fd>" arms the notification; the kernel keeps its own reference to
    /// the cgroup, so oom_control can be closed at once. Closing the eventfd disarms it.
    private static func register(_ event: FileDescriptor, _ directory: String) throws(SystemError) {
        let oomControl = try FileDescriptor.open(directory + "/memory.oom_control", O_RDONLY)
        defer { oomControl.close() }
        let control = try FileDescriptor.open(directory + "/cgroup.event_control", O_WRONLY)
        defer { control.close() }
        try control.writeAll("\(event.rawValue) \(oomControl.rawValue)")
    }

    /// Resets the counter; false when nothing was pending (a spurious wake).
    private static func drain(_ event: FileDescriptor) -> Bool {
        var counter: UInt64 = 0
        return withUnsafeMutableBytes(of: &counter) { Glibc.read(event.rawValue, $0.baseAddress, 8) } == 8
    }
}
