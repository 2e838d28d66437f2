#if canImport(Glibc)
import Glibc
#endif
import CorralSystem
import Synchronization

/// Moves one stream until end of file: a container's stdout or stderr pipe, or a pty master
/// (logged as stdout), into a `CRILogWriter`; and into any number of `Outlet`s, added and
/// dropped as clients attach and detach (an exec's terminal, a FIFO feeding a process's stdin).
/// With no writer and no outlet, what it reads is dropped, so a writer never blocks.
///
/// Each pump reads on a small thread of its own, waiting in poll(2) on its source and its
/// outlets. A Dispatch read source would share one epoll set with everything else in the shim,
/// and streams end (and their descriptors close, and the numbers get reused) at the busiest
/// moments: libdispatch's epoll backend was seen to fault under exactly that churn. A pump keeps
/// itself alive until the stream ends or `cancel()`; then it writes the stream's unfinished line,
/// closes the source, passes on what its outlets still hold (unless cancelled), finishes them
/// and calls `completion`, after which all of the stream's output is in the log, so the shim
/// can report the process's exit.
public final class Pump: Sendable {
    /// Bytes per read(2): a pipe's worth, so a busy one drains in one read. Pages of the buffer
    /// are only touched as reads fill them, so a quiet stream costs a page.
    static let readSize = 64 * 1024
    /// How often a waiting pump looks at its cancel flag and its outlet list when it has no
    /// wakeup descriptor (eventfd failed): otherwise it sleeps until something happens, so an
    /// idle container costs its shim no wakeups.
    static let pollMillis: Int32 = 100

    private struct State {
        var cancelled = false
        var ended = false
        var outlets: [Outlet] = []
    }

    private let fd: FileDescriptor
    private let stream: LogStream
    private let writer: CRILogWriter?
    private let budget: CPUBudget?
    private let onError: @Sendable (SystemError) -> Void
    private let completion: @Sendable () -> Void
    private let state: Mutex<State>
    private let wakeup: Wakeup?

    /// Takes ownership of `fd` (the pump closes it, even when this throws) and starts reading at
    /// once; `outlets` get everything from the first byte. Errors writing the log go to `onError`
    /// and do not stop the pump: the output keeps draining, so the process never blocks on a full
    /// pipe. The reads and writes of a pump with a writer are charged to the writer's CPU budget.
    public init(reading fd: FileDescriptor, stream: LogStream = .stdout, into writer: CRILogWriter? = nil,
                outlets: [Outlet] = [],
                onError: @escaping @Sendable (SystemError) -> Void = { _ in },
                completion: @escaping @Sendable () -> Void) throws(SystemError) {
        do {
            try fd.setNonBlocking()
        } catch {
            fd.close()
            throw error
        }
        self.fd = fd
        self.stream = stream
        self.writer = writer
        self.budget = writer?.budget
        self.onError = onError
        self.completion = completion
        state = Mutex(State(outlets: outlets))
        wakeup = try? Wakeup()
        for outlet in outlets { outlet.watched(by: wake) }
        BlockingWork.start { [self] in run() }
    }

    /// Copies everything read from now on to `outlet` too. If the stream already ended, the
    /// outlet is finished at once (its reader sees end of file).
    public func add(_ outlet: Outlet) {
        let ended = state.withLock { s -> Bool in
            if !s.ended { s.outlets.append(outlet) }
            return s.ended
        }
        if ended {
            outlet.finish()
        } else {
            outlet.watched(by: wake)
            wake()
        }
    }

    private var wake: @Sendable () -> Void { { [wakeup] in wakeup?.wake() } }

    private var waitMillis: Int32 { wakeup == nil ? Self.pollMillis : -1 }

    /// The wakeup's poll request (a descriptor of -1 is ignored by poll(2)).
    private var wakeupRequest: pollfd { wakeup?.pollRequest ?? pollfd(fd: -1, events: 0, revents: 0) }

    /// Stops reading before end of file (output still unread is not logged); `completion` runs.
    public func cancel() {
        state.withLock { $0.cancelled = true }
        wake()
    }

    private var isCancelled: Bool { state.withLock { $0.cancelled } }

    /// The outlets still open, or nil once cancelled.
    private func liveOutlets() -> [Outlet]? {
        state.withLock { s in
            guard !s.cancelled else { return nil }
            s.outlets.removeAll { !$0.isOpen }
            return s.outlets
        }
    }

    private func run() {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: Self.readSize) { buffer in
            var polls: [pollfd] = []
            while let outlets = liveOutlets() {
                // An outlet that may lose nothing holds the source back until it drained.
                let held = outlets.contains { $0.holdsSource }
                polls.removeAll(keepingCapacity: true)
                polls.append(pollfd(fd: held ? -1 : fd.rawValue, events: Int16(POLLIN), revents: 0))
                polls.append(wakeupRequest)
                for outlet in outlets { polls.append(outlet.pollRequest) }
                let ready = poll(&polls, nfds_t(polls.count), waitMillis)
                if ready < 0 {
                    if errno == EINTR { continue }
                    onError(SystemError("poll"))
                    return
                }
                guard ready > 0 else { continue }
                if polls[1].revents != 0 { wakeup?.clear() }
                for (outlet, polled) in zip(outlets, polls.dropFirst(2)) { outlet.polled(polled.revents) }
                guard polls[0].revents != 0 else { continue }
                let started = budget == nil ? 0 : Clock.threadCPUNanos
                let n: Int
                do throws(SystemError) {
                    n = try fd.read(into: UnsafeMutableRawBufferPointer(buffer))
                } catch {
                    switch error.errno {
                    case EAGAIN:
                        continue
                    case EIO:  // a pty master reads EIO once the process's side is closed
                        return
                    default:
                        onError(error)
                        return
                    }
                }
                if n == 0 { return }
                // Outlets added while the pump waited get what it read after they came.
                guard let current = liveOutlets() else { break }
                deliver(UnsafeBufferPointer(rebasing: buffer[..<n]), to: current)
                if let budget {
                    let pause = budget.charge(Clock.threadCPUNanos &- started)
                    if pause > 0 { Clock.sleepThread(nanos: pause) }
                }
            }
        }
        end()
    }

    private func deliver(_ bytes: UnsafeBufferPointer<UInt8>, to outlets: [Outlet]) {
        if let writer {
            do throws(SystemError) {
                try writer.write(bytes, stream: stream)
            } catch {
                onError(error)
            }
        }
        for outlet in outlets { outlet.write(bytes) }
    }

    private func end() {
        if let writer {
            do {
                try writer.finish(stream)
            } catch {
                onError(error)
            }
        }
        fd.close()
        let outlets = state.withLock { s -> [Outlet] in
            s.ended = true
            defer { s.outlets = [] }
            return s.outlets
        }
        drain(outlets)
        outlets.forEach { $0.finish() }
        completion()
    }

    /// Waits until every outlet has passed on what it holds, dropped out, or been closed by its
    /// owner (who closes a stuck one: the shim does when the process's exit is reported).
    private func drain(_ outlets: [Outlet]) {
        var polls: [pollfd] = []
        while !isCancelled {
            let waiting = outlets.filter { $0.hasPending }
            guard !waiting.isEmpty else { return }
            polls = [wakeupRequest] + waiting.map { $0.pollRequest }
            let ready = poll(&polls, nfds_t(polls.count), waitMillis)
            if ready < 0 && errno != EINTR { return }
            guard ready > 0 else { continue }
            if polls[0].revents != 0 { wakeup?.clear() }
            for (outlet, polled) in zip(waiting, polls.dropFirst()) { outlet.polled(polled.revents) }
        }
    }
}
