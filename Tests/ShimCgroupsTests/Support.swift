import CorralSystem
import Dispatch
import Synchronization
import TestSupport

#if canImport(Glibc)
import Glibc
#endif

/// Runs blocking work on a Dispatch thread, off the small cooperative pool.
func offPool<T: Sendable>(_ body: @escaping @Sendable () -> T) async -> T {
    await withCheckedContinuation { continuation in
        DispatchQueue.global().async { continuation.resume(returning: body()) }
    }
}

/// Polls `condition` until it holds or `timeout` passes; returns its last value.
func eventually(timeout: Duration = .seconds(5), _ condition: () -> Bool) async -> Bool {
    let deadline = ContinuousClock.now + timeout
    while !condition() {
        if ContinuousClock.now > deadline { return false }
        try? await Task.sleep(for: .milliseconds(10))
    }
    return true
}

/// Counts handler calls made on Dispatch queues.
final class CallCount: Sendable {
    private let count = Atomic<Int>(0)
    func record() { count.add(1, ordering: .relaxed) }
    var value: Int { count.load(ordering: .relaxed) }
}

/// Writes `text` in place (no rename: inotify watches the inode).
func overwrite(_ path: String, _ text: String) throws {
    let fd = try FileDescriptor.open(path, O_WRONLY | O_CREAT | O_TRUNC)
    defer { fd.close() }
    try fd.writeAll(text)
}

extension TemporaryDirectory {
    /// Creates `relative` (and its directory) holding `text`, written in place as the kernel
    /// updates a cgroup file (a watcher sees a modification, not a new file).
    func file(_ relative: String, _ text: String) throws {
        try FileSystem.makeDirectories(FileSystem.parent(of: path + "/" + relative), mode: 0o755)
        try overwrite(path + "/" + relative, text)
    }
}

/// Descriptors of `kind` ("anon_inode:[eventfd]", "anon_inode:inotify") this process holds.
func openDescriptors(_ kind: String) -> Int {
    let entries = (try? FileSystem.listDirectory("/proc/self/fd")) ?? []
    return entries.count { entry in
        var buffer = [CChar](repeating: 0, count: 256)
        let n = readlink("/proc/self/fd/" + entry, &buffer, buffer.count - 1)
        guard n > 0 else { return false }
        return String(decoding: buffer[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self) == kind
    }
}
