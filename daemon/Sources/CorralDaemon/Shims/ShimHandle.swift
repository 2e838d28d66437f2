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
            return try await client.call(method, request, timeout: limit, metadata: [])
        } catch {
            Counter(label: "corral_shim_errors_total", dimensions: [("method", method.name), ("code", "\(error.code)")])
                .increment()
            if error.code == .deadlineExceeded {
                throw CRIError(.deadlineExceeded,
                               "the shim of pod \(podID) did not answer \(method.name) within \(limit)")
            }
            throw CRIError(shim: error, pod: podID, doing: method.name)
        }
    }
}
