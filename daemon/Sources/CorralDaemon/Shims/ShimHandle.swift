import ShimAPI
import SwiftProtobuf
import TTRPC

/// One pod's shim as the daemon calls it: every call carries the configured deadline, and a
/// failure comes back as the CRI status it should be, naming the pod and the call.
struct ShimHandle: Sendable {
    let podID: String
    let address: String
    let client: Client
    let timeout: Duration

    func call<Request, Response>(_ method: TTRPC.Method<Request, Response>, _ request: Request,
                                 timeout: Duration? = nil) async throws(CRIError) -> Response {
        let limit = timeout ?? self.timeout
        do {
            return try await client.call(method, request, timeout: limit)
        } catch {
            if error.code == .deadlineExceeded {
                throw CRIError(.deadlineExceeded,
                               "the shim of pod \(podID) did not answer \(method.name) within \(limit)")
            }
            throw CRIError(shim: error, pod: podID, doing: method.name)
        }
    }
}
