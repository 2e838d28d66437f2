import ShimAPI

/// What the CRI service needs of the pods' shims: start one, reach one, let one go, and clean up
/// after one that is gone. `ShimManager` over real `corral-shim` processes; a fake in the
/// daemon's unit tests.
protocol ShimSupervisor: Actor {
    typealias EventSink = @Sendable (_ podID: String, _ event: Corral_Shim_V1_Envelope) async -> Void
    typealias LossSink = @Sendable (_ podID: String) async -> Void

    /// Starts (or finds) the pod's shim, connects and subscribes to its events.
    func start(podID: String) async throws(CRIError) -> (handle: ShimHandle, pid: Int32)
    /// Connects to a shim that should be running; `known` is its protocol version when known.
    func connect(podID: String, address: String, speaking known: UInt32?) async throws(CRIError) -> ShimHandle
    func handle(_ podID: String) -> ShimHandle?
    func forget(_ podID: String)
    var allHandles: [ShimHandle] { get }
    func setSinks(event: @escaping EventSink, loss: @escaping LossSink)

    /// Where the pod's shim keeps its state (recorded before it starts, so a restart finds it).
    nonisolated func stateDir(of podID: String) -> String
    /// `corral-shim delete`: whatever a shim that is gone left (idempotent); the failure, if any.
    func deleteLeftovers(podID: String) async -> String?
    /// Whether the shim of that pid still runs (not a zombie).
    nonisolated func isRunning(_ pid: Int32) -> Bool
    /// Waits up to `timeout` for the shim of that pid to exit; whether it did.
    func waitUntilGone(_ pid: Int32, timeout: Duration) async -> Bool
}

extension ShimSupervisor {
    func connect(podID: String, address: String) async throws(CRIError) -> ShimHandle {
        try await connect(podID: podID, address: address, speaking: nil)
    }
}
