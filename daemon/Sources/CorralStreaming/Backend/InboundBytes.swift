import Synchronization

/// Bytes arriving from the client on one stream, in order, as chunks; the sequence ends when
/// the client closes its side (or the connection goes). Chunk boundaries carry no meaning: a
/// reader that fell behind gets what waits joined, up to `maxJoined` bytes at a time, so that it
/// catches up in a few large steps rather than a task switch per frame.
///
/// Unlike an `AsyncStream`, it tells the connection when its reader falls behind: past a
/// high-water mark the connection stops reading the socket until the reader catches up, so a
/// fast client cannot fill the daemon's memory (TCP pushes back on the client instead). One
/// reader at a time.
public final class InboundBytes: AsyncSequence, Sendable {
    public typealias Element = [UInt8]
    public typealias Failure = Never

    private struct State {
        var chunks: [[UInt8]] = []
        var head = 0
        var buffered = 0
        var finished = false
        var paused = false
        var nextWaiter = 0
        var waiters: [(id: Int, continuation: CheckedContinuation<[UInt8]?, Never>)] = []

        mutating func pop(lowWater: Int) -> (chunk: [UInt8], resume: Bool)? {
            guard head < chunks.count else { return nil }
            var chunk = chunks[head]
            chunks[head] = []
            head += 1
            if head < chunks.count, chunk.count + chunks[head].count <= InboundBytes.maxJoined {
                chunk.reserveCapacity(Swift.min(buffered, InboundBytes.maxJoined))
                while head < chunks.count, chunk.count + chunks[head].count <= InboundBytes.maxJoined {
                    chunk += chunks[head]
                    chunks[head] = []
                    head += 1
                }
            }
            if head == chunks.count {
                chunks.removeAll(keepingCapacity: true)
                head = 0
            } else if head >= 1024 && head * 2 >= chunks.count {
                // A reader that never quite catches up must not keep a growing prefix of spent slots.
                chunks.removeFirst(head)
                head = 0
            }
            buffered -= chunk.count
            let resume = paused && buffered <= lowWater
            if resume { paused = false }
            return (chunk, resume)
        }
    }

    /// The most a reader gets at once when several chunks wait.
    static let maxJoined = 256 << 10

    private let state = Mutex(State())
    private let highWater: Int
    private let onResume: @Sendable () -> Void

    /// `onResume` runs (on the reader's thread) when a reader drains a buffer that had crossed
    /// `highWater`; the producer was told to pause by `yield` returning true.
    init(highWater: Int = 1 << 20, onResume: @escaping @Sendable () -> Void = {}) {
        self.highWater = highWater
        self.onResume = onResume
    }

    /// A stream fed by hand, for backends' tests and adapters.
    public static func makeStream() -> (stream: InboundBytes, continuation: Continuation) {
        let stream = InboundBytes(highWater: Int.max)
        return (stream, Continuation(stream: stream))
    }

    public struct Continuation: Sendable {
        let stream: InboundBytes
        public func yield(_ bytes: [UInt8]) { stream.yield(bytes) }
        public func finish() { stream.finish() }
    }

    /// Adds bytes. True when this crossed the high-water mark: stop reading until `onResume`.
    @discardableResult
    func yield(_ bytes: [UInt8]) -> Bool {
        guard !bytes.isEmpty else { return false }
        let (waiter, pause) = state.withLock { s -> (CheckedContinuation<[UInt8]?, Never>?, Bool) in
            if s.finished { return (nil, false) }
            if !s.waiters.isEmpty { return (s.waiters.removeFirst().continuation, false) }
            s.chunks.append(bytes)
            s.buffered += bytes.count
            if !s.paused && s.buffered >= highWater {
                s.paused = true
                return (nil, true)
            }
            return (nil, false)
        }
        waiter?.resume(returning: bytes)
        return pause
    }

    /// End of stream: the reader gets what is buffered, then nil.
    func finish() {
        let waiters = state.withLock { s in
            s.finished = true
            defer { s.waiters.removeAll() }
            return s.waiters.map(\.continuation)
        }
        waiters.forEach { $0.resume(returning: nil) }
    }

    /// Nobody will read any more: drop what is buffered and whatever still comes, and let a
    /// paused connection read again.
    func discard() {
        let (waiters, resume) = state.withLock { s in
            s.finished = true
            s.chunks.removeAll()
            s.head = 0
            s.buffered = 0
            let resume = s.paused
            s.paused = false
            defer { s.waiters.removeAll() }
            return (s.waiters.map(\.continuation), resume)
        }
        waiters.forEach { $0.resume(returning: nil) }
        if resume { onResume() }
    }

    fileprivate func next() async -> [UInt8]? {
        let immediate = state.withLock { s -> (chunk: [UInt8]?, resume: Bool, done: Bool)? in
            if let popped = s.pop(lowWater: highWater / 2) { return (popped.chunk, popped.resume, false) }
            return s.finished ? (nil, false, true) : nil
        }
        if let immediate {
            if immediate.resume { onResume() }
            return immediate.chunk
        }
        let id = state.withLock { s in
            s.nextWaiter += 1
            return s.nextWaiter
        }
        return await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<[UInt8]?, Never>) in
                let ready = state.withLock { s -> (chunk: [UInt8]?, resume: Bool)? in
                    if let popped = s.pop(lowWater: highWater / 2) { return (popped.chunk, popped.resume) }
                    // The cancellation flag is set before the handler runs, so checking it under
                    // the lock leaves no window in which a cancelled reader parks forever.
                    if s.finished || Task.isCancelled { return (nil, false) }
                    s.waiters.append((id, continuation))
                    return nil
                }
                if let ready {
                    if ready.resume { onResume() }
                    continuation.resume(returning: ready.chunk)
                }
            }
        } onCancel: {
            let waiter = state.withLock { s -> CheckedContinuation<[UInt8]?, Never>? in
                guard let i = s.waiters.firstIndex(where: { $0.id == id }) else { return nil }
                return s.waiters.remove(at: i).continuation
            }
            waiter?.resume(returning: nil)
        }
    }

    /// Everything until the end of the stream (for small streams and tests).
    public func collect() async -> [UInt8] {
        var out: [UInt8] = []
        for await chunk in self { out += chunk }
        return out
    }

    public func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(source: self)
    }

    public struct AsyncIterator: AsyncIteratorProtocol {
        public typealias Element = [UInt8]
        public typealias Failure = Never
        let source: InboundBytes

        public mutating func next() async -> [UInt8]? {
            await source.next()
        }
    }
}
