import CRIAPI
import CRITestSupport
import GRPCCore
import Synchronization

/// A GetContainerEvents subscriber on a connection of its own, as kubelet's evented PLEG holds
/// one: what it has heard so far, and how its stream ended.
final class EventWatcher: Sendable {
    typealias Event = Runtime_V1_ContainerEventResponse

    private final class Log: Sendable {
        struct State {
            var events: [Event] = []
            /// nil while the stream runs; the error it ended with, or "OK".
            var end: String?
        }

        let state = Mutex(State())
    }

    private let client: CRIClient
    private let log: Log
    private let task: Task<Void, Never>

    init(socket: String) throws {
        let client = try CRIClient(socket: socket)
        let log = Log()
        self.client = client
        self.log = log
        task = Task {
            do {
                try await client.runtime.getContainerEvents(.init()) { response in
                    for try await event in response.messages { log.state.withLock { $0.events.append(event) } }
                }
                log.state.withLock { $0.end = "OK" }
            } catch let error as RPCError {
                log.state.withLock { $0.end = "\(error.code)" }
            } catch {
                log.state.withLock { $0.end = "\(error)" }
            }
        }
    }

    var events: [Event] { log.state.withLock { $0.events } }

    /// The events heard once `done` holds of them.
    func wait(timeout: Duration = .seconds(20), until done: ([Event]) -> Bool) async throws -> [Event] {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            let events = self.events
            if done(events) { return events }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw TestFailure("the events heard never sufficed: \(events.map(EventLine.init))")
    }

    /// How the stream ended: "OK", a status code, or nil if it is still open after `timeout`.
    func end(within timeout: Duration = .seconds(10)) async -> String? {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if let end = log.state.withLock({ $0.end }) { return end }
            try? await Task.sleep(for: .milliseconds(50))
        }
        return nil
    }

    func close() {
        task.cancel()
        client.close()
    }
}
