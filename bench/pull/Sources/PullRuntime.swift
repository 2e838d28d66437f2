import BenchCRIClient

/// A runtime under test: its CRI endpoint, its pid (for CPU time and memory), and the
/// connections the bench holds to it (one shared, and one per client of case (d)).
struct PullRuntime: Sendable {
    var name: String
    var endpoint: String
    var pid: Int32?
    let session: CRISession
    let clientSessions: [CRISession]

    init(name: String, endpoint: String, pid: Int32?, clients: Int) {
        self.name = name
        self.endpoint = endpoint
        self.pid = pid
        session = CRISession(endpoint: endpoint, coalesceFlushes: false)
        clientSessions = (0..<clients).map { _ in CRISession(endpoint: endpoint, coalesceFlushes: false) }
    }

    func close() async {
        await session.reset()
        for client in clientSessions { await client.reset() }
    }
}
