import TTRPC

/// One connection to a pod's shim as the daemon uses it: calls with a deadline, a stream of
/// events. The ttrpc `Client` in the daemon; a fake in the daemon's unit tests.
protocol ShimConnection: AnyObject, Sendable {
    var isClosed: Bool { get }
    func close()
    func call<Req, Resp>(_ method: TTRPC.Method<Req, Resp>, _ request: Req, timeout: Duration,
                         metadata: [(String, String)]) async throws(RPCError) -> Resp
    func stream<Req, Resp>(_ method: TTRPC.Method<Req, Resp>, _ request: Req, timeout: Duration?,
                           metadata: [(String, String)]) -> AsyncThrowingStream<Resp, any Error>
}

extension Client: ShimConnection {}
