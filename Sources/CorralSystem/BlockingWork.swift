#if canImport(Glibc)
import Glibc
#endif

/// Runs blocking calls (read, waitpid, poll) on a thread of their own. Neither the cooperative
/// pool nor Dispatch's global queues are for this: the first has a thread per core and the second
/// grows by about one thread a second, so a few parked reads stall everything else.
public enum BlockingWork {
    /// Small stacks: these threads only sit in system calls.
    static let stackSize = 256 * 1024

    public static func run<T: Sendable>(_ body: @escaping @Sendable () -> T) async -> T {
        await withCheckedContinuation { continuation in
            start { continuation.resume(returning: body()) }
        }
    }

    /// Starts `body` on a new detached thread; falls back to running it inline if no thread can be made.
    public static func start(_ body: @escaping @Sendable () -> Void) {
        if launch(body) != 0 { body() }
    }

    /// Starts `body`, which runs for the life of the process, on a new detached thread.
    public static func startLongLived(_ body: @escaping @Sendable () -> Void) throws(SystemError) {
        let rc = launch(body)
        guard rc == 0 else { throw SystemError("pthread_create", errno: rc) }
    }

    private static func launch(_ body: @escaping @Sendable () -> Void) -> Int32 {
        let box = Unmanaged.passRetained(Box(body)).toOpaque()
        var attributes = pthread_attr_t()
        pthread_attr_init(&attributes)
        defer { pthread_attr_destroy(&attributes) }
        pthread_attr_setstacksize(&attributes, stackSize)
        pthread_attr_setdetachstate(&attributes, Int32(PTHREAD_CREATE_DETACHED))
        var thread = pthread_t()
        let rc = pthread_create(&thread, &attributes, { raw in
            let box = Unmanaged<Box>.fromOpaque(raw!).takeRetainedValue()
            box.body()
            return nil
        }, box)
        if rc != 0 {
            Unmanaged<Box>.fromOpaque(box).release()
        }
        return rc
    }

    private final class Box: @unchecked Sendable {
        let body: @Sendable () -> Void
        init(_ body: @escaping @Sendable () -> Void) { self.body = body }
    }
}
