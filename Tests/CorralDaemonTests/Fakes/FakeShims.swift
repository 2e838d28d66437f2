@testable import CorralDaemon
import ShimAPI
import Synchronization

/// The pods' shims without processes: each pod gets a `FakeShimConnection`, and what the service
/// asked (starts, connects, deletes, forgets) is recorded.
actor FakeShims: ShimSupervisor {
    var connections: [String: FakeShimConnection] = [:]
    private var handles: [String: ShimHandle] = [:]
    var started: [String] = []
    var deleted: [String] = []
    var forgotten: [String] = []
    var connects: [String] = []
    /// Pids that run; everything else is gone.
    nonisolated let running = Mutex<Set<Int32>>([])
    var startFailure: CRIError?
    var connectFailure: CRIError?
    /// Set up each new pod's connection before the service calls it.
    var prepare: @Sendable (FakeShimConnection) -> Void = { _ in }
    private(set) var eventSink: EventSink?
    private(set) var lossSink: LossSink?

    func set(prepare: @escaping @Sendable (FakeShimConnection) -> Void) { self.prepare = prepare }
    func set(startFailure: CRIError?) { self.startFailure = startFailure }
    func set(connectFailure: CRIError?) { self.connectFailure = connectFailure }
    nonisolated func set(running pids: Set<Int32>) { running.withLock { $0 = pids } }

    func connection(_ podID: String) -> FakeShimConnection {
        if let existing = connections[podID] { return existing }
        let connection = FakeShimConnection()
        prepare(connection)
        connections[podID] = connection
        return connection
    }

    func start(podID: String) async throws(CRIError) -> (handle: ShimHandle, pid: Int32) {
        started.append(podID)
        if let startFailure { throw startFailure }
        let handle = ShimHandle(podID: podID, address: "unix:///fake/\(podID).sock", client: connection(podID), timeout: .seconds(1))
        handles[podID] = handle
        let pid = Int32(1000 + started.count)
        running.withLock { _ = $0.insert(pid) }
        return (handle, pid)
    }

    func connect(podID: String, address: String, speaking known: UInt32?) async throws(CRIError) -> ShimHandle {
        connects.append(podID)
        if let connectFailure { throw connectFailure }
        let handle = ShimHandle(podID: podID, address: address, client: connection(podID), timeout: .seconds(1))
        handles[podID] = handle
        return handle
    }

    func handle(_ podID: String) -> ShimHandle? { handles[podID] }

    func forget(_ podID: String) {
        forgotten.append(podID)
        handles[podID] = nil
    }

    var allHandles: [ShimHandle] { Array(handles.values) }

    func setSinks(event: @escaping EventSink, loss: @escaping LossSink) {
        eventSink = event
        lossSink = loss
    }

    nonisolated func stateDir(of podID: String) -> String { "/fake/state/pods/" + podID }

    func deleteLeftovers(podID: String) async -> String? {
        deleted.append(podID)
        return nil
    }

    nonisolated func isRunning(_ pid: Int32) -> Bool { running.withLock { $0.contains(pid) } }

    func waitUntilGone(_ pid: Int32, timeout: Duration) async -> Bool { true }
}
