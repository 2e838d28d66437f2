import CorralSystem
import ShimAPI
import Synchronization
import SwiftProtobuf

/// Every event the shim publishes, numbered, with the recent ones retained so a subscriber
/// that reconnects can ask for what it missed (`after_sequence`).
public final class EventLog: Sendable {
    private struct State {
        var sequence: UInt64 = 0
        var retained: [Corral_Shim_V1_Envelope] = []
        var subscribers: [Int: AsyncStream<Corral_Shim_V1_Envelope>.Continuation] = [:]
        var nextSubscriber = 0
    }

    private let state = Mutex(State())
    private let capacity: Int

    public init(capacity: Int = 512) {
        self.capacity = capacity
    }

    /// Numbers and stores `envelope`, then hands it to every subscriber.
    @discardableResult
    public func publish(topic: String, _ fill: (inout Corral_Shim_V1_Envelope) -> Void) -> UInt64 {
        var envelope = Corral_Shim_V1_Envelope()
        envelope.topic = topic
        envelope.timestamp = Google_Protobuf_Timestamp(wallNanos: Clock.wallNanos)
        fill(&envelope)
        let subscribers = state.withLock { s in
            s.sequence += 1
            envelope.sequence = s.sequence
            s.retained.append(envelope)
            if s.retained.count > capacity { s.retained.removeFirst(s.retained.count - capacity) }
            return Array(s.subscribers.values)
        }
        subscribers.forEach { $0.yield(envelope) }
        return envelope.sequence
    }

    public func recent(limit: Int = 0) -> [Corral_Shim_V1_Envelope] {
        let all = state.withLock { $0.retained }
        return limit > 0 ? Array(all.suffix(limit)) : all
    }

    /// Retained events after `sequence`, then live ones, with no gap and no repeat.
    public func subscribe(after sequence: UInt64) -> AsyncStream<Corral_Shim_V1_Envelope> {
        let (stream, continuation) = AsyncStream<Corral_Shim_V1_Envelope>.makeStream(bufferingPolicy: .bufferingNewest(4096))
        let id = state.withLock { s in
            for envelope in s.retained where envelope.sequence > sequence {
                continuation.yield(envelope)
            }
            let id = s.nextSubscriber
            s.nextSubscriber += 1
            s.subscribers[id] = continuation
            return id
        }
        continuation.onTermination = { [weak self] _ in
            _ = self?.state.withLock { $0.subscribers.removeValue(forKey: id) }
        }
        return stream
    }

    public func finishSubscribers() {
        let subscribers = state.withLock { s in
            let all = Array(s.subscribers.values)
            s.subscribers.removeAll()
            return all
        }
        subscribers.forEach { $0.finish() }
    }
}

extension Google_Protobuf_Timestamp {
    public init(wallNanos: UInt64) {
        self.init(seconds: Int64(wallNanos / 1_000_000_000), nanos: Int32(wallNanos % 1_000_000_000))
    }
}
