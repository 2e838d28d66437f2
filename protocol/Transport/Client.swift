#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import CorralSystem
import Dispatch
import SwiftProtobuf
import Synchronization
import TTRPCWire

/// A ttrpc client on one unix-socket connection; any number of calls may be in flight.
///
/// Every call has a deadline: it is sent as timeout_nano for the server to honour, and kept
/// here too, so a server that never answers (stopped, wedged) costs the caller the deadline
/// and nothing more.
public final class Client: Sendable {
    public static let defaultTimeout: Duration = .seconds(10)

    private let framed: Mutex<FramedConnection?> = Mutex(nil)
    private let state = Mutex(State())

    private enum Pending {
        case unary(CheckedContinuation<[UInt8], any Error>)
        case stream(AsyncThrowingStream<[UInt8], any Error>.Continuation)
    }

    private struct State {
        var pending: [UInt32: Pending] = [:]
        var closed = false
    }

    /// The next stream id. Held while a request is written, so ids reach the server in the
    /// order they were taken: it refuses one lower than any it has seen.
    private let nextStreamID = Mutex<UInt32>(1)

    /// Connects to `path` (a plain path or `unix://path`).
    public static func connect(_ address: String) throws(RPCError) -> Client {
        let path = address.hasPrefix("unix://") ? String(address.dropFirst("unix://".count)) : address
        let fd: FileDescriptor
        do {
            fd = try UnixSocket.connect(path: path)
        } catch {
            throw RPCError(.unavailable, "cannot connect to \(path): \(error)")
        }
        return Client(fd: fd)
    }

    init(fd: FileDescriptor) {
        let connection = FramedConnection(
            fd: fd, label: "ttrpc.client.\(fd.rawValue)",
            onEvent: { [weak self] event in self?.handle(event) ?? false },
            onClose: { [weak self] in self?.failAll(RPCError(.unavailable, "connection closed")) })
        framed.withLock { $0 = connection }
        connection.start()
    }

    deinit {
        framed.withLock { $0 }?.close()
    }

    public var isClosed: Bool { state.withLock { $0.closed } }

    public func close() {
        framed.withLock { $0 }?.close()
    }

    // MARK: typed calls

    public func call<Req, Resp>(_ method: Method<Req, Resp>, _ request: Req,
                                timeout: Duration = Client.defaultTimeout,
                                metadata: [(String, String)] = []) async throws(RPCError) -> Resp {
        let bytes = try await call(service: method.service, method: method.name, payload: request.bytes(),
                                   timeout: timeout, metadata: metadata)
        do {
            return try Resp(serializedBytes: bytes)
        } catch {
            throw RPCError(.internal, "\(method.service)/\(method.name): undecodable response: \(error)")
        }
    }

    public func stream<Req, Resp>(_ method: Method<Req, Resp>, _ request: Req,
                                  timeout: Duration? = nil,
                                  metadata: [(String, String)] = []) -> AsyncThrowingStream<Resp, any Error> {
        let raw = stream(service: method.service, method: method.name, payload: request.bytes(),
                         timeout: timeout, metadata: metadata)
        return AsyncThrowingStream { continuation in
            let pump = Task {
                do {
                    for try await bytes in raw {
                        continuation.yield(try Resp(serializedBytes: bytes))
                    }
                    continuation.finish()
                } catch {
                    continuation.finish(throwing: error)
                }
            }
            continuation.onTermination = { _ in pump.cancel() }
        }
    }

    // MARK: raw calls

    public func call(service: String, method: String, payload: [UInt8],
                     timeout: Duration = Client.defaultTimeout,
                     metadata: [(String, String)] = []) async throws(RPCError) -> [UInt8] {
        let envelope = Self.envelope(service: service, method: method, payload: payload,
                                     timeout: timeout, metadata: metadata)
        let streamID = Mutex<UInt32?>(nil)
        do {
            return try await withTaskCancellationHandler {
                try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<[UInt8], any Error>) in
                    let id = start(.unary(continuation), flags: [], envelope: envelope)
                    streamID.withLock { $0 = id }
                    if let id { armDeadline(id, timeout, what: "\(service)/\(method)") }
                }
            } onCancel: {
                if let id = streamID.withLock({ $0 }) {
                    complete(id, .failure(RPCError(.cancelled, "\(service)/\(method) was cancelled by the caller")))
                }
            }
        } catch let error as RPCError {
            throw error
        } catch {
            throw RPCError(.unknown, "\(error)")
        }
    }

    /// A server stream. Stopping the iteration tells the server to stop sending.
    public func stream(service: String, method: String, payload: [UInt8], timeout: Duration? = nil,
                       metadata: [(String, String)] = []) -> AsyncThrowingStream<[UInt8], any Error> {
        let envelope = Self.envelope(service: service, method: method, payload: payload,
                                     timeout: timeout, metadata: metadata)
        return AsyncThrowingStream { continuation in
            guard let id = start(.stream(continuation), flags: [.remoteClosed], envelope: envelope) else { return }
            continuation.onTermination = { [weak self] reason in
                guard let self else { return }
                let wasPending = state.withLock { $0.pending.removeValue(forKey: id) != nil }
                if wasPending, case .cancelled = reason {
                    try? framed.withLock { $0 }?.send(Frame(streamID: id, type: .data, flags: [.remoteClosed, .noData]))
                }
            }
            if let timeout { armDeadline(id, timeout, what: "\(service)/\(method)") }
        }
    }

    // MARK: internals

    private static func envelope(service: String, method: String, payload: [UInt8], timeout: Duration?,
                                 metadata: [(String, String)]) -> [UInt8] {
        var request = Ttrpc_Request()
        request.service = service
        request.method = method
        request.payload = Data(payload)
        if let timeout {
            request.timeoutNano = timeout.nanoseconds
        }
        request.metadata = metadata.map { key, value in
            var pair = Ttrpc_KeyValue()
            pair.key = key
            pair.value = value
            return pair
        }
        return request.bytes()
    }

    /// Takes a stream id, registers the waiter and writes the request, in that order and under
    /// one lock. Nil (the waiter already failed) when the request could not be sent.
    private func start(_ pending: Pending, flags: FrameFlags, envelope: [UInt8]) -> UInt32? {
        nextStreamID.withLock { next -> UInt32? in
            let id = next
            next &+= 2
            guard register(id, pending) else { return nil }
            return send(Frame(streamID: id, type: .request, flags: flags, payload: envelope), failing: id) ? id : nil
        }
    }

    /// False (and the waiter already failed) when the connection is gone.
    private func register(_ id: UInt32, _ pending: Pending) -> Bool {
        let closed = state.withLock { s -> Bool in
            if s.closed { return true }
            s.pending[id] = pending
            return false
        }
        if closed {
            let error = RPCError(.unavailable, "connection closed")
            switch pending {
            case .unary(let c): c.resume(throwing: error)
            case .stream(let c): c.finish(throwing: error)
            }
        }
        return !closed
    }

    private func armDeadline(_ id: UInt32, _ timeout: Duration, what: String) {
        let nanos = Int(clamping: timeout.nanoseconds)
        DispatchQueue.global().asyncAfter(deadline: .now() + .nanoseconds(nanos)) { [weak self] in
            self?.complete(id, .failure(RPCError(.deadlineExceeded, "\(what): no answer within \(timeout)")))
        }
    }

    private func send(_ frame: Frame, failing id: UInt32) -> Bool {
        guard let connection = framed.withLock({ $0 }) else {
            complete(id, .failure(RPCError(.unavailable, "connection closed")))
            return false
        }
        do {
            try connection.send(frame)
            return true
        } catch {
            complete(id, .failure(error))
            return false
        }
    }

    private func complete(_ id: UInt32, _ result: Result<[UInt8], RPCError>) {
        guard let pending = state.withLock({ $0.pending.removeValue(forKey: id) }) else { return }
        switch (pending, result) {
        case (.unary(let c), .success(let bytes)): c.resume(returning: bytes)
        case (.unary(let c), .failure(let error)): c.resume(throwing: error)
        case (.stream(let c), .success): c.finish()
        case (.stream(let c), .failure(let error)): c.finish(throwing: error)
        }
    }

    private func failAll(_ error: RPCError) {
        let pending = state.withLock { s -> [UInt32] in
            s.closed = true
            return Array(s.pending.keys)
        }
        pending.forEach { complete($0, .failure(error)) }
    }

    private func handle(_ event: FrameDecoder.Event) -> Bool {
        switch event {
        case .oversized(let id, _, let length):
            complete(id, .failure(RPCError(.resourceExhausted, "response of \(length) bytes exceeds the limit")))
            return true
        case .frame(let frame):
            switch frame.type {
            case .response:
                guard let response = try? Ttrpc_Response(serializedBytes: frame.payload) else {
                    failAll(RPCError(.internal, "undecodable response envelope on stream \(frame.streamID)"))
                    return false
                }
                complete(frame.streamID, response.result())
                return true
            case .data:
                let pending = state.withLock { $0.pending[frame.streamID] }
                if case .stream(let continuation) = pending {
                    if !frame.flags.contains(.noData) {
                        continuation.yield(frame.payload)
                    }
                    if frame.flags.contains(.remoteClosed) {
                        complete(frame.streamID, .success([]))
                    }
                }
                return true
            case .request, nil:
                failAll(RPCError(.internal, "server sent a frame of type \(frame.typeByte)"))
                return false
            }
        }
    }
}
