import NIOCore
import Synchronization

/// The server's open connections and the sessions running on them, so that shutdown can
/// close the ones and wait for the others.
final class SessionRegistry: Sendable {
    private struct State {
        var channels: [ObjectIdentifier: any Channel] = [:]
        var sessions: [Int: Task<Void, Never>] = [:]
        var nextSession = 0
        var closing = false
    }

    private let state = Mutex(State())

    /// False once shutdown began: the caller closes the connection.
    func add(_ channel: any Channel) -> Bool {
        let added = state.withLock { s in
            guard !s.closing else { return false }
            s.channels[ObjectIdentifier(channel)] = channel
            return true
        }
        if added {
            channel.closeFuture.whenComplete { [self] _ in
                state.withLock { _ = $0.channels.removeValue(forKey: ObjectIdentifier(channel)) }
            }
        }
        return added
    }

    /// Runs a session for `channel`; it is cancelled when the connection closes.
    func start(on channel: any Channel, _ body: @escaping @Sendable () async -> Void) {
        let task = state.withLock { s -> Task<Void, Never> in
            let id = s.nextSession
            s.nextSession += 1
            let task = Task { [self] in
                await body()
                state.withLock { _ = $0.sessions.removeValue(forKey: id) }
            }
            s.sessions[id] = task
            return task
        }
        channel.closeFuture.whenComplete { _ in task.cancel() }
    }

    var sessionCount: Int { state.withLock { $0.sessions.count } }

    func shutdown() async {
        let (channels, sessions) = state.withLock { s in
            s.closing = true
            return (Array(s.channels.values), Array(s.sessions.values))
        }
        for channel in channels { channel.close(promise: nil) }
        for session in sessions {
            session.cancel()
            await session.value
        }
    }
}
