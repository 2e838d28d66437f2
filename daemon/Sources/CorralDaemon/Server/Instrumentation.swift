import CorralSystem
import GRPCCore
import Logging
import Metrics
import Synchronization

/// The layer every CRI call passes, whatever the service: a debug line with a request id
/// and the ids the request names, a latency histogram per method, an error counter per
/// method and status code, and every failure turned into a gRPC status.
final class Instrumentation: Sendable {
    let logger: Logger
    private let nextRequest = Atomic<UInt64>(0)
    /// When the last call started (monotonic ns): the idle trimmer waits for quiet.
    let lastRequest = Atomic<UInt64>(0)

    init(logger: Logger) {
        self.logger = logger
    }

    /// Runs one call. The CRI server's tasks run on its event loop (see CRIServer), which
    /// spares the thread hops that cost a small call more than its work. A `fromMemory` call
    /// only reads what the daemon holds and stays there; every other call moves to the shared
    /// pool, where its blocking system calls (mounts, SQLite writes, cgroup reads) can't hold up
    /// the calls of every other connection.
    func run<Response: Sendable>(_ method: String, _ ids: KeyValuePairs<String, String> = [:], fromMemory: Bool = false,
                                 _ body: () async throws -> Response) async throws -> Response {
        let requestID = nextRequest.add(1, ordering: .relaxed).newValue
        lastRequest.store(Clock.monotonicNanos, ordering: .relaxed)
        var metadata: Logger.Metadata = ["rpc": "\(method)", "request": "\(requestID)"]
        for (key, value) in ids where !value.isEmpty { metadata[key] = "\(value)" }
        logger.debug("request", metadata: metadata)
        let started = ContinuousClock.now
        do {
            let response = fromMemory
                ? try await body()
                : try await withTaskExecutorPreference(globalConcurrentExecutor, operation: body)
            record(method, code: "OK", since: started)
            logger.debug("done", metadata: metadata.merging(["elapsed": "\(ContinuousClock.now - started)"]) { $1 })
            return response
        } catch {
            let failure = CRIError.from(error)
            let code = "\(failure.code)"
            record(method, code: code, since: started)
            Counter(label: "corral_cri_errors_total", dimensions: [("method", method), ("code", code)]).increment()
            metadata["code"] = "\(code)"
            metadata["error"] = "\(failure.message)"
            // Not-found answers are part of kubelet's normal traffic (stop what is gone); the
            // rest is worth an operator's attention.
            if failure.code == .notFound {
                logger.debug("failed", metadata: metadata)
            } else {
                logger.warning("failed", metadata: metadata)
            }
            throw failure.rpcError
        }
    }

    private func record(_ method: String, code: String, since started: ContinuousClock.Instant) {
        Timer(label: "corral_cri_request_duration_seconds", dimensions: [("method", method)])
            .recordInterval(since: started)
        Counter(label: "corral_cri_requests_total", dimensions: [("method", method), ("code", code)]).increment()
    }
}

extension Timer {
    func recordInterval(since started: ContinuousClock.Instant) {
        recordNanoseconds((ContinuousClock.now - started).nanoseconds)
    }
}
