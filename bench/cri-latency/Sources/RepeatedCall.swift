import BenchCRIClient
import Foundation

/// One CRI call made back to back many times, with the CPU time each side spent per call. A
/// server's CPU per call says more than its latency where the client's own decoding dominates
/// the latter (ListContainers at 200 containers), and /proc counts CPU in 10 ms ticks, so it
/// takes many calls to read it.
struct RepeatedCall: Sendable {
    /// Wall time of every call, in milliseconds, in the order taken.
    var samplesMs: [Double]
    var clientMicrosPerCall: Int
    /// nil without a server pid, or when the server was gone by the end.
    var serverMicrosPerCall: Int?

    /// `prepare` runs before each call's clock starts (a pod's config, its log directory);
    /// the connection is fetched, and replaced when due, outside the timed span too.
    static func measure<Input>(
        calls: Int, serverPID: Int32?, session: CRISession,
        prepare: () throws -> Input, call: (CRIConnection, Input) async throws -> Void
    ) async throws -> RepeatedCall {
        let clock = ContinuousClock()
        var samples: [Double] = []
        samples.reserveCapacity(calls)
        let serverBefore = serverPID.flatMap(CPUTime.micros)
        let clientBefore = CPUTime.ownMicros()
        for _ in 0..<calls {
            let cri = try await session.connection()
            let input = try prepare()
            let start = clock.now
            try await call(cri, input)
            samples.append(SampleBook.milliseconds(clock.now - start))
        }
        let client = (CPUTime.ownMicros() - clientBefore) / calls
        let server = serverBefore.flatMap { before in serverPID.flatMap(CPUTime.micros).map { ($0 - before) / calls } }
        return RepeatedCall(samplesMs: samples, clientMicrosPerCall: client, serverMicrosPerCall: server)
    }

    static func measure(
        calls: Int, serverPID: Int32?, session: CRISession, call: (CRIConnection) async throws -> Void
    ) async throws -> RepeatedCall {
        try await measure(calls: calls, serverPID: serverPID, session: session, prepare: {}) { cri, _ in try await call(cri) }
    }
}
