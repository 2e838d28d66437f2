import CorralJSON
import CorralSystem
import Logging
import Synchronization

/// Port-forward over SPDY (kubelet's portforward/httpstream.go): for every local connection
/// the client opens an error stream and a data stream carrying the same `requestID` and
/// `port` headers. Each complete pair becomes one backend call; the session lives until the
/// client closes the connection.
struct SPDYPortForwardSession: Sendable {
    let connection: SPDYConnection
    let streams: AsyncStream<SPDYStream>
    let podSandboxID: String
    let backend: any StreamingBackend
    let creationTimeout: Duration
    let drain: Duration
    let logger: Logger

    /// The handler's check before it answers a stream: a port and a known type are required.
    static func accepts(_ headers: SPDYHeaders) -> Bool {
        guard let port = headers[StreamHeader.port].flatMap({ UInt16($0) }), port > 0 else { return false }
        let type = headers[StreamHeader.streamType]
        return type == StreamHeader.data || type == StreamHeader.error
    }

    func run() async {
        let pairs = PortForwardPairs()
        await withDiscardingTaskGroup { group in
            for await stream in streams {
                let requestID = Self.requestID(of: stream)
                switch pairs.add(stream, requestID: requestID) {
                case .first:
                    // The partner has creationTimeout to turn up; the timer goes when it does.
                    pairs.setTimer(Task {
                        try? await Task.sleep(for: creationTimeout)
                        guard !Task.isCancelled, let (data, error) = pairs.expire(requestID: requestID) else { return }
                        try? await error?.write(Array("timed out waiting for streams of request \(requestID)".utf8))
                        await error?.close()
                        await data?.close()
                    }, requestID: requestID)
                case .duplicate(let errorStream, let message):
                    stream.inbound.discard()
                    group.addTask {
                        try? await errorStream?.write(Array("error processing stream for request \(requestID): \(message)".utf8))
                        await stream.connection.reset(streamID: stream.id)
                    }
                case .complete(let data, let error):
                    group.addTask { await forward(data: data, error: error) }
                }
            }
            // The client closed or said GOAWAY: nothing more is coming, and nobody reads what
            // is still being forwarded.
            pairs.cancelTimers()
            group.cancelAll()
        }
        await connection.close(drain: drain)
    }

    private func forward(data: SPDYStream, error: SPDYStream) async {
        error.inbound.discard()
        let port = Int32(data.headers[StreamHeader.port] ?? "") ?? 0
        do {
            try await backend.portForward(podSandboxID: podSandboxID, port: port,
                                          connection: StreamConnection(inbound: data.inbound, outbound: data.writer))
        } catch is CancellationError {
        } catch let failure {
            // kubelet's report (uid is empty behind the CRI); clients show it as the reason.
            let message = "error forwarding port \(port) to pod \(podSandboxID), uid : \(failure)"
            logger.debug("port-forward failed", metadata: ["error": "\(message)"])
            let report = #"{"closeConnection":true,"message":"# + JSONValue.quote(message, escapingHTML: true) + "}\n"
            try? await error.write(Array(report.utf8))
        }
        data.inbound.discard()
        await data.close()
        await error.close()
    }

    /// Old clients sent no requestID; kubelet then pairs an error stream with the data stream
    /// two ids later, which holds while the client opens one connection's streams at a time.
    static func requestID(of stream: SPDYStream) -> String {
        if let id = stream.headers[StreamHeader.requestID], !id.isEmpty { return id }
        return stream.type == StreamHeader.error ? String(stream.id) : String(Int64(stream.id) - 2)
    }
}

/// Streams waiting for their partner, by request id.
final class PortForwardPairs: Sendable {
    private struct Pair {
        var data: SPDYStream?
        var error: SPDYStream?
        var timer: Task<Void, Never>?
    }

    enum Added {
        /// The first of its pair: start the creation timer.
        case first
        case duplicate(errorStream: SPDYStream?, message: String)
        case complete(data: SPDYStream, error: SPDYStream)
    }

    private let pending = Mutex<[String: Pair]>([:])

    func add(_ stream: SPDYStream, requestID: String) -> Added {
        pending.withLock { pending in
            var pair = pending[requestID] ?? Pair()
            if stream.type == StreamHeader.error {
                if pair.error != nil { return .duplicate(errorStream: pair.error, message: "error stream already assigned") }
                pair.error = stream
            } else {
                if pair.data != nil { return .duplicate(errorStream: pair.error, message: "data stream already assigned") }
                pair.data = stream
            }
            if let data = pair.data, let error = pair.error {
                pending[requestID] = nil
                pair.timer?.cancel()
                return .complete(data: data, error: error)
            }
            // Not complete, so this is the first of its pair.
            pending[requestID] = pair
            return .first
        }
    }

    func setTimer(_ timer: Task<Void, Never>, requestID: String) {
        let orphan = pending.withLock { pending -> Bool in
            guard pending[requestID] != nil else { return true }
            pending[requestID]?.timer = timer
            return false
        }
        if orphan { timer.cancel() }
    }

    func cancelTimers() {
        pending.withLock { pending in
            for pair in pending.values { pair.timer?.cancel() }
        }
    }

    /// Drops a pair still incomplete, returning what it had; nil when it completed in time.
    func expire(requestID: String) -> (data: SPDYStream?, error: SPDYStream?)? {
        pending.withLock { pending in
            guard let pair = pending.removeValue(forKey: requestID) else { return nil }
            pair.data?.inbound.discard()
            return (pair.data, pair.error)
        }
    }
}
