import CorralSystem
import Logging
import ShimAPI
import TTRPC

/// The connections to every pod's shim, and the event stream of each. Holding a handle never
/// waits on a shim; the calls themselves happen outside this actor, each with its deadline.
actor ShimManager {
    typealias EventSink = @Sendable (_ podID: String, _ event: Corral_Shim_V1_Envelope) async -> Void
    typealias LossSink = @Sendable (_ podID: String) async -> Void

    let launcher: ShimLauncher
    private let logger: Logger
    private var handles: [String: ShimHandle] = [:]
    private var monitors: [String: Task<Void, Never>] = [:]
    private var lastSequence: [String: UInt64] = [:]
    private var onEvent: EventSink = { _, _ in }
    private var onLoss: LossSink = { _ in }

    init(launcher: ShimLauncher, logger: Logger) {
        self.launcher = launcher
        self.logger = logger
    }

    func setSinks(event: @escaping EventSink, loss: @escaping LossSink) {
        onEvent = event
        onLoss = loss
    }

    /// Starts (or finds) the pod's shim, connects and subscribes to its events.
    func start(podID: String) async throws(CRIError) -> (handle: ShimHandle, pid: Int32) {
        let (address, pid) = try await launcher.start(podID: podID)
        let handle = try await connect(podID: podID, address: address)
        return (handle, pid)
    }

    /// Connects to a shim that should be running (at start-up, or after `start`).
    func connect(podID: String, address: String) async throws(CRIError) -> ShimHandle {
        if let existing = handles[podID], existing.address == address, !existing.client.isClosed { return existing }
        let limit = launcher.timeouts.connect
        let client: Client
        do {
            client = try await withDeadline(limit, onTimeout: {
                .deadlineExceededError("connecting to the shim of pod \(podID) at \(address) took over \(limit)")
            }) {
                try Client.connect(address)
            }
        } catch {
            throw CRIError.from(error).prefixed("connecting to the shim of pod \(podID)")
        }
        let handle = ShimHandle(podID: podID, address: address, client: client, timeout: launcher.timeouts.call)
        handles[podID]?.client.close()
        handles[podID] = handle
        subscribe(handle)
        return handle
    }

    func handle(_ podID: String) -> ShimHandle? { handles[podID] }

    var connectedCount: Int { handles.count }

    var allHandles: [ShimHandle] { Array(handles.values) }

    /// Forgets the pod's shim: its event stream ends, its connection closes.
    func forget(_ podID: String) {
        monitors.removeValue(forKey: podID)?.cancel()
        handles.removeValue(forKey: podID)?.client.close()
        lastSequence[podID] = nil
    }

    private func subscribe(_ handle: ShimHandle) {
        monitors[handle.podID]?.cancel()
        var request = Corral_Shim_V1_SubscribeRequest()
        request.afterSequence = lastSequence[handle.podID] ?? 0
        let stream = handle.client.stream(EventsMethods.subscribe, request)
        let (event, loss, logger) = (onEvent, onLoss, logger)
        monitors[handle.podID] = Task { [weak self] in
            do {
                for try await envelope in stream {
                    await self?.saw(envelope.sequence, from: handle.podID)
                    await event(handle.podID, envelope)
                }
            } catch {
                logger.debug("event stream ended", metadata: ["pod": "\(handle.podID)", "error": "\(error)"])
            }
            guard !Task.isCancelled else { return }
            await self?.lost(handle)
            await loss(handle.podID)
        }
    }

    private func saw(_ sequence: UInt64, from podID: String) {
        lastSequence[podID] = max(lastSequence[podID] ?? 0, sequence)
    }

    private func lost(_ handle: ShimHandle) {
        if handles[handle.podID]?.client === handle.client {
            handles[handle.podID] = nil
            monitors[handle.podID] = nil
        }
    }
}
