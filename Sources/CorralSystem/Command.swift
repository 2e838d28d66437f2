
#if canImport(Glibc)
import Glibc
#endif
import Synchronization

/// What a finished command left behind.
public struct CommandResult: Sendable, Equatable {
    public var status: ExitStatus
    public var stdout: [UInt8]
    public var stderr: [UInt8]
    /// The program ran past its time limit (or its caller was cancelled) and was killed.
    public var timedOut = false

    public var stdoutText: String { String(decoding: stdout, as: UTF8.self) }
    public var stderrText: String { String(decoding: stderr, as: UTF8.self) }
}

/// Runs a program to completion with stdin fed and stdout/stderr captured.
///
/// Who collects the exit status is the caller's choice (`ChildWaiter`). Blocking reads and
/// writes happen on a thread of their own, never on the cooperative pool.
///
/// With a `timeLimit`, the program runs in a session of its own, and that whole process group
/// is killed when the limit passes: a hung plugin must not hold its caller, and what it started
/// (an iptables, a sleep) must not outlive it holding the pipes. A cancelled caller does not
/// kill the program: the work it started (a CNI ADD, the DEL that undoes it) is finished, as a
/// program killed halfway would leave more to clean up than it saves.
public enum Command {
    public static func run(_ path: String, arguments: [String], environment: [String]? = nil,
                           stdin: [UInt8] = [], outputLimit: Int = 16 << 20, timeLimit: Duration? = nil,
                           waiter: ChildWaiter = .blocking) async throws(SystemError) -> CommandResult {
        let input = try FileDescriptor.pipe()
        let output: (read: FileDescriptor, write: FileDescriptor)
        let errors: (read: FileDescriptor, write: FileDescriptor)
        do {
            output = try FileDescriptor.pipe()
        } catch {
            input.read.close(); input.write.close()
            throw error
        }
        do {
            errors = try FileDescriptor.pipe()
        } catch {
            [input.read, input.write, output.read, output.write].forEach { $0.close() }
            throw error
        }
        // What fits goes into the empty pipe before the program starts: stdin is usually small
        // (a CNI config) or empty, and then nothing is left to feed while it runs.
        var fed = 0
        if !stdin.isEmpty {
            try? input.write.setNonBlocking()
            fed = max(0, stdin.withUnsafeBytes { Glibc.write(input.write.rawValue, $0.baseAddress, $0.count) })
        }
        let pid: pid_t
        let mark = waiter.mark()
        do {
            pid = try Spawn.run(path, arguments: [path] + arguments, environment: environment,
                                stdio: .init(stdin: input.read, stdout: output.write, stderr: errors.write),
                                newSession: timeLimit != nil)
        } catch {
            [input.read, input.write, output.read, output.write, errors.read, errors.write].forEach { $0.close() }
            throw error
        }
        input.read.close()
        output.write.close()
        errors.write.close()
        var rest: ArraySlice<UInt8>? = stdin[fed...]
        if rest?.isEmpty == true {
            input.write.close()
            rest = nil
        }

        // One thread moves all three streams while the waiter waits: a thread per stream would
        // be two more threads made, and two more wakeups, on every call.
        let streams = ThreadResult { [rest] in
            exchange(stdin: rest.map { (input.write, $0) }, stdout: output.read, stderr: errors.read, limit: outputLimit)
        }
        let status: ExitStatus
        var timedOut = false
        if let timeLimit {
            (status, timedOut) = await waitKilling(group: pid, after: timeLimit) { await waiter.wait(pid, mark) }
        } else {
            status = await waiter.wait(pid, mark)
        }
        let (stdout, stderr) = await streams.value
        output.read.close()
        errors.read.close()
        return CommandResult(status: status, stdout: stdout, stderr: stderr, timedOut: timedOut)
    }

    /// Waits for the leader of process group `group`, killing the whole group if that takes
    /// longer than `limit`. A kill can race the leader's reap only by the moment before
    /// `finished` is set, far too short for its id to lead another group.
    private static func waitKilling(group: pid_t, after limit: Duration,
                                    _ wait: @Sendable () async -> ExitStatus) async -> (ExitStatus, Bool) {
        let killed = Atomic<Bool>(false)
        let finished = Atomic<Bool>(false)
        let killGroup: @Sendable () -> Void = {
            guard !finished.load(ordering: .acquiring) else { return }
            killed.store(true, ordering: .releasing)
            Glibc.kill(-group, SIGKILL)
        }
        // Not a child task: the caller's cancellation must not end the limit early either.
        let watchdog = Task.detached {
            try? await Task.sleep(for: limit)
            if !Task.isCancelled { killGroup() }
        }
        let status = await wait()
        finished.store(true, ordering: .releasing)
        watchdog.cancel()
        return (status, killed.load(ordering: .acquiring))
    }

    /// Writes `stdin` (then closes it) and reads `stdout` and `stderr` to end of file, keeping at
    /// most `limit` bytes of each but draining the rest so the program never blocks on a full pipe.
    /// If the program stops reading its stdin (it exited, say), the rest is dropped.
    static func exchange(stdin: (fd: FileDescriptor, bytes: ArraySlice<UInt8>)?, stdout: FileDescriptor,
                         stderr: FileDescriptor, limit: Int) -> ([UInt8], [UInt8]) {
        var pending = stdin?.bytes ?? []
        var input = stdin?.fd
        var outputs: [(fd: FileDescriptor, bytes: [UInt8], open: Bool)] = [(stdout, [], true), (stderr, [], true)]
        var chunk = [UInt8](repeating: 0, count: 65536)
        func finishInput() {
            input?.close()
            input = nil
        }
        while input != nil || outputs.contains(where: \.open) {
            var polls: [pollfd] = outputs.map { pollfd(fd: $0.open ? $0.fd.rawValue : -1, events: Int16(POLLIN), revents: 0) }
            polls.append(pollfd(fd: input?.rawValue ?? -1, events: Int16(POLLOUT), revents: 0))
            if poll(&polls, nfds_t(polls.count), -1) < 0 {
                if errno == EINTR { continue }
                break
            }
            for i in outputs.indices where outputs[i].open && polls[i].revents != 0 {
                let n = chunk.withUnsafeMutableBytes { Glibc.read(outputs[i].fd.rawValue, $0.baseAddress, $0.count) }
                if n > 0 {
                    let room = limit - outputs[i].bytes.count
                    if room > 0 { outputs[i].bytes += chunk[..<min(n, room)] }
                } else if n == 0 || (errno != EINTR && errno != EAGAIN) {
                    outputs[i].open = false
                }
            }
            if let fd = input, polls[2].revents != 0 {
                let n = pending.withUnsafeBytes { Glibc.write(fd.rawValue, $0.baseAddress, $0.count) }
                if n > 0 {
                    pending = pending.dropFirst(n)
                    if pending.isEmpty { finishInput() }
                } else if n < 0 && errno != EINTR && errno != EAGAIN {
                    finishInput()
                }
            }
        }
        finishInput()
        return (outputs[0].bytes, outputs[1].bytes)
    }
}

/// A value computed on a thread of its own, started at once; `value` waits for it.
final class ThreadResult<T: Sendable>: Sendable {
    private let state = Mutex<(value: T?, waiter: CheckedContinuation<T, Never>?)>((nil, nil))

    init(_ body: @escaping @Sendable () -> T) {
        BlockingWork.start { [self] in
            let value = body()
            let waiter = state.withLock { s -> CheckedContinuation<T, Never>? in
                s.value = value
                defer { s.waiter = nil }
                return s.waiter
            }
            waiter?.resume(returning: value)
        }
    }

    var value: T {
        get async {
            await withCheckedContinuation { continuation in
                let ready = state.withLock { s -> T? in
                    if let value = s.value { return value }
                    s.waiter = continuation
                    return nil
                }
                if let ready { continuation.resume(returning: ready) }
            }
        }
    }
}
