import CRIAPI
import Logging
import Metrics
import Synchronization

/// The fan-out behind GetContainerEvents: every event to every subscriber, each through a
/// bounded buffer of its own. Publishing never waits: it runs inside the registry's actor, so a
/// subscriber that stops reading must cost nothing but its own stream, which is ended (with
/// RESOURCE_EXHAUSTED, after what its buffer holds) the moment its buffer is full. kubelet then
/// relists and subscribes again.
///
/// While nobody listens, the last events are held for the next subscriber, as containerd does
/// (for five minutes): the exits that recovery finds before kubelet is back are not lost.
final class ContainerEventBroadcaster: Sendable {
    typealias Event = Runtime_V1_ContainerEventResponse
    typealias Stream = AsyncThrowingStream<Event, any Error>

    /// How many events a subscriber may fall behind by before it is dropped.
    static let defaultBuffer = 1024
    let backlogLimit: Int
    let backlogAge: Duration

    private struct Held {
        let event: Event
        let at: ContinuousClock.Instant
    }

    private struct State {
        var subscribers: [UInt64: Stream.Continuation] = [:]
        var nextID: UInt64 = 0
        var backlog: [Held] = []
        var closed = false
    }

    private let state = Mutex(State())
    private let logger: Logger

    init(logger: Logger, backlogLimit: Int = 1024, backlogAge: Duration = .seconds(300)) {
        self.logger = logger
        self.backlogLimit = backlogLimit
        self.backlogAge = backlogAge
    }

    var subscriberCount: Int { state.withLock { $0.subscribers.count } }

    /// A new subscription: the held events first (for the first subscriber), then every event
    /// from now on. It ends when the subscriber falls `buffer` events behind, or at `close`.
    func subscribe(buffer: Int = defaultBuffer) -> Stream {
        let (stream, continuation) = Stream.makeStream(bufferingPolicy: .bufferingOldest(buffer))
        let id: UInt64? = state.withLock { state in
            guard !state.closed else { return nil }
            let id = state.nextID
            state.nextID += 1
            state.subscribers[id] = continuation
            let now = ContinuousClock.now
            for held in state.backlog where now - held.at < backlogAge { continuation.yield(held.event) }
            state.backlog = []
            return id
        }
        guard let id else {
            continuation.finish(throwing: CRIError.unavailable("corrald is stopping: no new event subscriptions"))
            return stream
        }
        // Outside the lock's reach: the stream calls this when its reader goes away (or is cancelled).
        continuation.onTermination = { [weak self] _ in
            _ = self?.state.withLock { $0.subscribers.removeValue(forKey: id) }
        }
        return stream
    }

    func publish(_ event: Event) {
        let (behind, total) = state.withLock { state -> ([Stream.Continuation], Int) in
            guard !state.closed else { return ([], 0) }
            guard !state.subscribers.isEmpty else {
                hold(event, in: &state)
                return ([], 0)
            }
            var behind: [Stream.Continuation] = []
            for (id, continuation) in state.subscribers {
                switch continuation.yield(event) {
                case .enqueued: break
                case .dropped:
                    state.subscribers[id] = nil
                    behind.append(continuation)
                case .terminated:
                    state.subscribers[id] = nil
                @unknown default:
                    break
                }
            }
            return (behind, state.subscribers.count + behind.count)
        }
        // Ended outside the lock: finishing runs the stream's onTermination, which takes it.
        for continuation in behind {
            continuation.finish(throwing: CRIError(.resourceExhausted,
                "this subscriber fell too far behind (its buffer of container events is full); subscribe again"))
            Counter(label: "corral_container_event_subscribers_dropped_total").increment()
        }
        if !behind.isEmpty {
            logger.warning("dropped container event subscribers that stopped reading",
                           metadata: ["dropped": "\(behind.count)", "subscribers": "\(total)",
                                      "event": "\(event.containerEventType)", "container": "\(event.containerID)"])
        }
    }

    /// At shutdown: every stream ends (its call returns OK), so none holds the server's drain,
    /// and no new one starts.
    func close() {
        let all = state.withLock { state -> [Stream.Continuation] in
            state.closed = true
            state.backlog = []
            defer { state.subscribers = [:] }
            return Array(state.subscribers.values)
        }
        for continuation in all { continuation.finish() }
    }

    /// Keeps `event` for the next subscriber, forgetting the oldest beyond the limit or age.
    private func hold(_ event: Event, in state: inout State) {
        let now = ContinuousClock.now
        state.backlog.removeAll { now - $0.at >= backlogAge }
        if state.backlog.count >= backlogLimit {
            state.backlog.removeFirst(state.backlog.count - backlogLimit + 1)
        }
        state.backlog.append(Held(event: event, at: now))
    }
}
