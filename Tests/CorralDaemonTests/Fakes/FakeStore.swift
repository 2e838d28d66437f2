@testable import CorralDaemon
import Synchronization

/// The daemon's store in memory, with a failure to hand out on a chosen save.
final class FakeStore: StateStore, Sendable {
    struct State {
        var sandboxes: [String: SandboxEntry] = [:]
        var containers: [String: ContainerEntry] = [:]
        var saves = 0
        /// The 1-based number of the save that fails (once); 0: none.
        var failingSave = 0
    }

    struct Failure: Error, CustomStringConvertible {
        var description: String { "the disk is full" }
    }

    let state = Mutex(State())

    init(sandboxes: [SandboxEntry] = [], containers: [ContainerEntry] = []) {
        state.withLock { s in
            for sandbox in sandboxes { s.sandboxes[sandbox.id] = sandbox }
            for container in containers { s.containers[container.id] = container }
        }
    }

    func failSave(number: Int) {
        state.withLock { $0.failingSave = $0.saves + number }
    }

    private func count() throws {
        let fails = state.withLock { s -> Bool in
            s.saves += 1
            return s.saves == s.failingSave
        }
        if fails { throw Failure() }
    }

    func loadAll() throws -> (sandboxes: [SandboxEntry], containers: [ContainerEntry]) {
        state.withLock { (Array($0.sandboxes.values), Array($0.containers.values)) }
    }

    func save(_ sandbox: SandboxEntry) throws {
        try count()
        state.withLock { $0.sandboxes[sandbox.id] = sandbox }
    }

    func save(_ container: ContainerEntry) throws {
        try count()
        state.withLock { $0.containers[container.id] = container }
    }

    func removeSandbox(id: String) throws {
        state.withLock { s in
            s.sandboxes[id] = nil
            s.containers = s.containers.filter { $0.value.sandboxID != id }
        }
    }

    func removeContainer(id: String) throws {
        state.withLock { _ = $0.containers.removeValue(forKey: id) }
    }

    var sandboxes: [String: SandboxEntry] { state.withLock { $0.sandboxes } }
    var containers: [String: ContainerEntry] { state.withLock { $0.containers } }
}
