/// Where pods and containers are written through to so that a daemon killed at any point
/// comes back with the same ids, names and states. Every call is one transaction.
protocol StateStore: Sendable {
    func loadAll() throws -> (sandboxes: [SandboxEntry], containers: [ContainerEntry])
    func save(_ sandbox: SandboxEntry) throws
    func save(_ container: ContainerEntry) throws
    /// The pod and every container still recorded under it.
    func removeSandbox(id: String) throws
    func removeContainer(id: String) throws
}
