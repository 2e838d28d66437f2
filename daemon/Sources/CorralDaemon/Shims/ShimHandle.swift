import Metrics
import ShimAPI
import SwiftProtobuf
import TTRPC

/// One pod's shim as the daemon calls it: every call carries the configured deadline, and a
/// failure comes back as the CRI status it should be, naming the pod and the call. Each call's
/// latency goes to `corral_shim_request_duration_seconds`, its failures to `corral_shim_errors_total`.
struct ShimHandle: Sendable {
    let podID: String
    let address: String
    let client: any ShimConnection
    let timeout: Duration

    func call<Request, Response>(_ method: TTRPC.Method<Request, Response>, _ request: Request,
                                 timeout: Duration? = nil) async throws(CRIError) -> Response {
        let limit = timeout ?? self.timeout
        let started = ContinuousClock.now
        defer {
            Timer(label: "corral_shim_request_duration_seconds", dimensions: [("method", method.name)])
                .recordInterval(since: started)
        }
        do {
            if limit > self.timeout {
                return try await watched(method, request, limit: limit)
            }
            return try await client.call(method, request, timeout: limit, metadata: [])
        } catch {
            Counter(label: "corral_shim_errors_total", dimensions: [("method", method.name), ("code", "\(error.code)")])
                .increment()
            if error.code == .deadlineExceeded {
                let within = error.message == Self.unresponsive ? "a ping within \(self.timeout) while it ran" : "it within \(limit)"
                throw CRIError(.deadlineExceeded, "the shim of pod \(podID) did not answer \(within) (\(method.name))")
            }
            throw CRIError(shim: error, pod: podID, doing: method.name)
        }
    }

    static let unresponsive = "the shim stopped answering pings"

    /// A call allowed longer than a shim call (an exec without a timeout, a stop's grace period)
    /// cannot tell a long answer from a hung shim by its deadline: the shim is pinged every
    /// second meanwhile, and one ping unanswered within `timeout` ends the call, so a stopped
    /// shim costs no caller more than the shim call timeout and a second.
    private func watched<Request, Response>(_ method: TTRPC.Method<Request, Response>, _ request: Request,
                                            limit: Duration) async throws(RPCError) -> Response {
        let client = self.client
        let deadline = self.timeout
        let interval = min(Duration.seconds(1), deadline)
        let outcome: Result<Response, RPCError> = await withTaskGroup(of: Result<Response, RPCError>?.self) { group in
            group.addTask {
                do throws(RPCError) {
                    return .success(try await client.call(method, request, timeout: limit, metadata: []))
                } catch {
                    return .failure(error)
                }
            }
            group.addTask {
                while !Task.isCancelled {
                    do {
                        try await Task.sleep(for: interval)
                    } catch {
                        return nil
                    }
                    do throws(RPCError) {
                        _ = try await client.call(DebugMethods.version, .init(), timeout: deadline, metadata: [])
                    } catch where error.code == .deadlineExceeded {
                        return .failure(RPCError(.deadlineExceeded, Self.unresponsive))
                    } catch {
                        // Any other answer is an answer: the shim lives (the call itself will
                        // fail on its own if the connection is gone).
                    }
                }
                return nil
            }
            while let next = await group.next() {
                if let result = next {
                    group.cancelAll()
                    return result
                }
            }
            return .failure(RPCError(.cancelled, "the call was cancelled"))
        }
        return try outcome.get()
    }
}
