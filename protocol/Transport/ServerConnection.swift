import CorralSystem
import Dispatch
import Synchronization
import TTRPCWire

/// The server's side of one connection: routes requests, enforces stream-id rules and
/// deadlines, and writes each stream's single final frame.
final class ServerConnection: Sendable {
    private let peer: PeerCredentials
    private let services: [String: Service]
    private let log: @Sendable (String) -> Void
    private let onCall: @Sendable (Server.CallRecord) -> Void
    private let state = Mutex(State())
    private let connection: Mutex<FramedConnection?> = Mutex(nil)
    private let fd: FileDescriptor

    struct State {
        var highestStreamID: UInt32 = 0
        /// Streams still owed their final frame.
        var open: Set<UInt32> = []
        /// The task serving each open stream, to cancel it.
        var tasks: [UInt32: Task<Void, Never>] = [:]
        var closed = false
    }

    init(fd: FileDescriptor, peer: PeerCredentials, services: [String: Service],
         log: @escaping @Sendable (String) -> Void, onCall: @escaping @Sendable (Server.CallRecord) -> Void) {
        self.fd = fd
        self.peer = peer
        self.services = services
        self.log = log
        self.onCall = onCall
    }

    func start(onClose: @escaping @Sendable () -> Void) {
        let framed = FramedConnection(
            fd: fd, label: "ttrpc.server.\(fd.rawValue)",
            onEvent: { [self] event in handle(event) },
            onClose: { [self] in
                let tasks = state.withLock { s -> [Task<Void, Never>] in
                    s.closed = true
                    let tasks = Array(s.tasks.values)
                    s.tasks.removeAll()
                    s.open.removeAll()
                    return tasks
                }
                tasks.forEach { $0.cancel() }
                onClose()
            })
        connection.withLock { $0 = framed }
        framed.start()
    }

    func close() {
        connection.withLock { $0 }?.close()
    }

    private var framed: FramedConnection? { connection.withLock { $0 } }

    /// Returns false when the connection must be dropped.
    private func handle(_ event: FrameDecoder.Event) -> Bool {
        switch event {
        case .oversized(let streamID, let typeByte, let length):
            if typeByte == FrameType.request.rawValue {
                _ = claimStreamID(streamID, open: false)
            }
            reply(streamID, RPCError(.resourceExhausted,
                                     "frame of \(length) bytes exceeds the \(Frame.maxPayloadLength)-byte limit"))
            return true
        case .frame(let frame):
            switch frame.type {
            case .request:
                return handleRequest(frame)
            case .data:
                // The client closing its side of a server stream it already half-closed means
                // it is no longer listening: stop the handler.
                if frame.flags.contains(.remoteClosed) {
                    let task = state.withLock { s -> Task<Void, Never>? in
                        s.open.remove(frame.streamID)
                        return s.tasks.removeValue(forKey: frame.streamID)
                    }
                    task?.cancel()
                }
                return true
            case .response, nil:
                log("dropping connection: client sent a frame of type \(frame.typeByte)")
                return false
            }
        }
    }

    private enum Claim { case ok, even, reused }

    /// Stream ids only grow: one at or below the highest seen is a reuse.
    private func claimStreamID(_ id: UInt32, open: Bool = true) -> Claim {
        if id % 2 == 0 { return .even }
        return state.withLock { s in
            guard id > s.highestStreamID else { return .reused }
            s.highestStreamID = id
            if open { s.open.insert(id) }
            return .ok
        }
    }

    private func handleRequest(_ frame: Frame) -> Bool {
        switch claimStreamID(frame.streamID) {
        case .even:
            reply(frame.streamID, RPCError(.invalidArgument, "stream id \(frame.streamID) is even; clients use odd ids"))
            return true
        case .reused:
            reply(frame.streamID, RPCError(.invalidArgument, "stream id \(frame.streamID) was already used on this connection"))
            return true
        case .ok:
            break
        }
        let request: Ttrpc_Request
        do {
            request = try Ttrpc_Request(serializedBytes: frame.payload)
        } catch {
            log("dropping connection: undecodable request envelope on stream \(frame.streamID): \(error)")
            _ = finish(frame.streamID)
            return false
        }
        guard let handler = services[request.service]?.handlers[request.method] else {
            let what = services[request.service] == nil ? "service \(request.service)" : "method \(request.service)/\(request.method)"
            fail(frame.streamID, RPCError(.unimplemented, "\(what) is not implemented"))
            record(request, .unimplemented, startedAt: Clock.monotonicNanos)
            return true
        }
        let started = Clock.monotonicNanos
        let deadline = request.timeoutNano > 0 ? started &+ UInt64(request.timeoutNano) : nil
        let context = CallContext(service: request.service, method: request.method,
                                  metadata: request.metadata.map { ($0.key, $0.value) },
                                  deadline: deadline, peer: peer)
        let streamID = frame.streamID
        let payload = Array(request.payload)
        let task = Task { [self] in
            let outcome: RPCError?
            do {
                switch handler {
                case .unary(let body):
                    let response = Ttrpc_Response.ok(try await body(context, payload)).bytes()
                    // An answer no frame can carry still gets one: the caller must not wait for its deadline.
                    guard response.count <= Frame.maxPayloadLength else {
                        throw RPCError(.resourceExhausted, "the answer to \(request.service)/\(request.method) is \(response.count) bytes, "
                                       + "over the \(Frame.maxPayloadLength)-byte frame limit")
                    }
                    if finish(streamID) {
                        send(Frame(streamID: streamID, type: .response, payload: response))
                    }
                case .serverStream(let body):
                    let writer = StreamWriter { [self] (bytes) throws(RPCError) in
                        guard isActive(streamID) else { throw RPCError(.cancelled, "stream \(streamID) was closed") }
                        try framed?.send(Frame(streamID: streamID, type: .data, payload: bytes))
                    }
                    try await body(context, payload, writer)
                    if finish(streamID) {
                        send(Frame(streamID: streamID, type: .data, flags: [.remoteClosed, .noData]))
                    }
                }
                outcome = nil
            } catch let error as RPCError {
                outcome = error
            } catch is CancellationError {
                outcome = RPCError(.cancelled, "\(request.service)/\(request.method) was cancelled")
            } catch {
                outcome = RPCError(.unknown, "\(error)")
            }
            if let outcome {
                fail(streamID, outcome)
            }
            record(request, outcome?.code ?? .ok, startedAt: started)
        }
        let registered = state.withLock { s -> Bool in
            guard !s.closed else { return false }
            // The task may already have finished its stream.
            if s.open.contains(streamID) { s.tasks[streamID] = task }
            return true
        }
        if !registered { task.cancel() }
        if let deadline {
            let delay = deadline &- Clock.monotonicNanos
            DispatchQueue.global().asyncAfter(deadline: .now() + .nanoseconds(Int(min(delay, UInt64(Int.max))))) { [self] in
                if finish(streamID) {
                    task.cancel()
                    send(Frame(streamID: streamID, type: .response,
                               payload: Ttrpc_Response.failure(RPCError(.deadlineExceeded,
                                   "\(request.service)/\(request.method) did not finish within its deadline")).bytes()))
                }
            }
        }
        return true
    }

    private func record(_ request: Ttrpc_Request, _ code: StatusCode, startedAt: UInt64) {
        onCall(Server.CallRecord(service: request.service, method: request.method, code: code,
                                 durationNanos: Clock.monotonicNanos &- startedAt,
                                 finishedAtWallNanos: Clock.wallNanos))
    }

    private func isActive(_ id: UInt32) -> Bool {
        state.withLock { $0.open.contains(id) }
    }

    /// Claims the right to write a stream's final frame; true for exactly one caller.
    private func finish(_ id: UInt32) -> Bool {
        state.withLock { s in
            s.tasks.removeValue(forKey: id)
            return s.open.remove(id) != nil
        }
    }

    /// Ends an open stream with an error status, unless something else ended it first.
    private func fail(_ streamID: UInt32, _ error: RPCError) {
        if finish(streamID) { reply(streamID, error) }
    }

    /// Answers a frame that never became a stream (bad id, oversized): no state to claim.
    private func reply(_ streamID: UInt32, _ error: RPCError) {
        send(Frame(streamID: streamID, type: .response, payload: Ttrpc_Response.failure(error).bytes()))
    }

    private func send(_ frame: Frame) {
        try? framed?.send(frame)
    }
}
