import CorralSystem
import Logging
import ShimAPI
import ShimContract
import TTRPC

/// The connections to every pod's shim, and the event stream of each. Holding a handle never
/// waits on a shim; the calls themselves happen outside this actor, each with its deadline.
actor ShimManager: ShimSupervisor {
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
        let bootstrap = try await launcher.start(podID: podID)
        let handle = try await connect(podID: podID, address: bootstrap.address, speaking: bootstrap.protocolVersion)
        return (handle, bootstrap.pid)
    }

    /// Connects to a shim that should be running (at start-up, or after `start`). Unless its
    /// protocol version is known already (`start` prints it), the shim is asked for it first:
    /// one this corrald does not speak is refused, before any call could misread its answers.
    func connect(podID: String, address: String, speaking known: UInt32?) async throws(CRIError) -> ShimHandle {
        if let existing = handles[podID], existing.address == address, !existing.client.isClosed { return existing }
        if let known { try refuseUnless(speaking: known, podID: podID, address: address) }
        let limit = launcher.timeouts.connect
        let client: Client
        let version: UInt32
        do {
            (client, version) = try await withDeadline(limit, onTimeout: {
                .deadlineExceededError("connecting to the shim of pod \(podID) at \(address) took over \(limit)")
            }) {
                let client = try Client.connect(address)
                if let known { return (client, known) }
                do {
                    return (client, try await client.call(DebugMethods.version, .init(), timeout: limit).protocolVersion)
                } catch {
                    client.close()
                    throw error
                }
            }
        } catch {
            throw CRIError.from(error).prefixed("connecting to the shim of pod \(podID)")
        }
        do {
            try refuseUnless(speaking: version, podID: podID, address: address)
        } catch {
            client.close()
            throw error
        }
        let handle = ShimHandle(podID: podID, address: address, client: client, timeout: launcher.timeouts.call)
        handles[podID]?.client.close()
        handles[podID] = handle
        subscribe(handle)
        return handle
    }

    private func refuseUnless(speaking version: UInt32, podID: String, address: String) throws(CRIError) {
        do {
            try ShimProtocol.check(version)
        } catch {
            logger.error("refusing a shim", metadata: ["pod": "\(podID)", "address": "\(address)", "reason": "\(error)"])
            throw CRIError(.failedPrecondition, "the shim of pod \(podID) at \(address) is refused: \(error)")
        }
    }

    func handle(_ podID: String) -> ShimHandle? { handles[podID] }

    nonisolated func stateDir(of podID: String) -> String { launcher.stateDir(of: podID) }

    func deleteLeftovers(podID: String) async -> String? { await launcher.delete(podID: podID) }

    nonisolated func isRunning(_ pid: Int32) -> Bool { ProcessControl.isRunning(pid) }

    func waitUntilGone(_ pid: Int32, timeout: Duration) async -> Bool {
        await ProcessControl.waitUntilGone(pid, timeout: timeout)
    }

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
        let stream = handle.client.stream(EventsMethods.subscribe, request, timeout: nil, metadata: [])
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
