@testable import CorralDaemon
import ShimAPI
import Synchronization
import SwiftProtobuf
import TTRPC

/// A pod's shim as a table of answers: each method answers what a test put there (a message or
/// an error), or an empty message; every call is recorded.
final class FakeShimConnection: ShimConnection, Sendable {
    typealias Answer = @Sendable ([UInt8]) -> Result<[UInt8], RPCError>

    private struct State {
        var answers: [String: Answer] = [:]
        var calls: [(method: String, request: [UInt8])] = []
        var closed = false
    }

    private let state = Mutex(State())

    /// Answers `method` with `response`, whatever the request.
    func answer<Req, Resp>(_ method: TTRPC.Method<Req, Resp>, with response: Resp) {
        let bytes = (try? response.serializedBytes()) ?? []
        state.withLock { $0.answers[method.name] = { _ in .success(bytes) } }
    }

    /// Answers `method` with an error status.
    func fail<Req, Resp>(_ method: TTRPC.Method<Req, Resp>, _ error: RPCError) {
        state.withLock { $0.answers[method.name] = { _ in .failure(error) } }
    }

    /// Answers `method` by looking at its request.
    func answer<Req, Resp>(_ method: TTRPC.Method<Req, Resp>, _ body: @escaping @Sendable (Req) -> Resp) {
        state.withLock { s in
            s.answers[method.name] = { bytes in
                guard let request = try? Req(serializedBytes: bytes) else { return .failure(RPCError(.invalidArgument, "bad request")) }
                return .success((try? body(request).serializedBytes()) ?? [])
            }
        }
    }

    /// The requests made to `method`, decoded, in order.
    func requests<Req, Resp>(_ method: TTRPC.Method<Req, Resp>) -> [Req] {
        state.withLock { $0.calls }.filter { $0.method == method.name }.compactMap { try? Req(serializedBytes: $0.request) }
    }

    /// Every method called, in order, without the liveness pings a long call sends meanwhile
    /// (how many there are depends on how fast the machine runs the test).
    var methods: [String] { state.withLock { $0.calls.map(\.method) }.filter { $0 != DebugMethods.version.name } }

    var isClosed: Bool { state.withLock { $0.closed } }

    func close() {
        state.withLock { $0.closed = true }
    }

    func call<Req, Resp>(_ method: TTRPC.Method<Req, Resp>, _ request: Req, timeout: Duration,
                         metadata: [(String, String)]) async throws(RPCError) -> Resp {
        let bytes = (try? request.serializedBytes()) ?? []
        let answer = state.withLock { s -> Answer? in
            s.calls.append((method.name, bytes))
            return s.answers[method.name]
        }
        let response = try (answer?(bytes) ?? .success([])).get()
        do {
            return try Resp(serializedBytes: response)
        } catch {
            throw RPCError(.internal, "undecodable fake answer to \(method.name)")
        }
    }

    func stream<Req, Resp>(_ method: TTRPC.Method<Req, Resp>, _ request: Req, timeout: Duration?,
                           metadata: [(String, String)]) -> AsyncThrowingStream<Resp, any Error> {
        AsyncThrowingStream { _ in }
    }
}
