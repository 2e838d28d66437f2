import CRIAPI
import CorralStore
import Logging

/// The daemon's view of every pod and container: names reserved, ids resolved (a unique
/// prefix is enough, as with containerd), each change written through to the store before
/// it becomes visible. An actor, so that listing never waits on a shim: no call in here awaits.
///
/// Each change of state is announced to `events` here, where it is recorded, rather than by
/// the calls that cause it: no path that moves a state (a CRI call, a shim's exit event,
/// recovery, a lost shim) can forget to, and an event's statuses are those of that instant.
actor PodRegistry {
    private var sandboxes: [String: SandboxEntry] = [:]
    private var containers: [String: ContainerEntry] = [:] {
        didSet { containersGeneration &+= 1 }
    }
    /// The ids again, sorted, for resolving a prefix without a scan.
    private var sandboxIDs = IDIndex()
    private var containerIDs = IDIndex()
    /// Changes with every change to `containers`, so an answer built from them can be kept
    /// until it does.
    private var containersGeneration: UInt64 = 0
    /// Reserved name key → the id holding it.
    private var names: [String: String] = [:]
    private let store: any StateStore
    /// What GetContainerEvents subscribers hear.
    nonisolated let events: ContainerEventBroadcaster

    init(store: any StateStore, events: ContainerEventBroadcaster = ContainerEventBroadcaster(logger: Logger(label: "cri"))) {
        self.store = store
        self.events = events
    }

    /// Loads what the store holds; called once before the server answers.
    func load() throws {
        let (pods, ctrs) = try store.loadAll()
        for pod in pods {
            sandboxes[pod.id] = pod
            names[pod.nameKey] = pod.id
        }
        for container in ctrs {
            containers[container.id] = container
            names[container.nameKey] = container.id
        }
        sandboxIDs = IDIndex(sandboxes.keys)
        containerIDs = IDIndex(containers.keys)
    }

    // MARK: names

    /// Reserves a pod's or container's name for `id`; a holder already there → AlreadyExists.
    func reserve(_ key: String, for id: String, what: String) throws(CRIError) {
        if let holder = names[key], holder != id {
            throw .alreadyExists("\(what) name \"\(key)\" is reserved by \(holder)")
        }
        names[key] = id
    }

    func release(_ key: String, for id: String) {
        if names[key] == id { names[key] = nil }
    }

    // MARK: lookups

    func sandbox(_ idOrPrefix: String) throws(CRIError) -> SandboxEntry {
        if let exact = sandboxes[idOrPrefix] { return exact }
        let id = try resolve(idOrPrefix, in: sandboxIDs, what: "pod sandbox")
        guard let entry = sandboxes[id] else { throw .notFound("pod sandbox \"\(idOrPrefix)\" not found") }
        return entry
    }

    func container(_ idOrPrefix: String) throws(CRIError) -> ContainerEntry {
        if let exact = containers[idOrPrefix] { return exact }
        let id = try resolve(idOrPrefix, in: containerIDs, what: "container")
        guard let entry = containers[id] else { throw .notFound("container \"\(idOrPrefix)\" not found") }
        return entry
    }

    func existingSandbox(_ id: String) -> SandboxEntry? { sandboxes[id] }
    func existingContainer(_ id: String) -> ContainerEntry? { containers[id] }

    /// The full id of what the filter names, nil when nothing matches (a filter never fails).
    func resolveSandboxID(_ idOrPrefix: String) -> String? {
        // A filter never fails: an id that names nothing matches nothing.
        sandboxes[idOrPrefix] != nil ? idOrPrefix : try? resolve(idOrPrefix, in: sandboxIDs, what: "pod sandbox")
    }

    func resolveContainerID(_ idOrPrefix: String) -> String? {
        // As for pods: a filter never fails.
        containers[idOrPrefix] != nil ? idOrPrefix : try? resolve(idOrPrefix, in: containerIDs, what: "container")
    }

    var allSandboxes: [SandboxEntry] { Array(sandboxes.values) }
    var allContainers: [ContainerEntry] { Array(containers.values) }

    /// Every container and the generation they belong to; nil when that is still `generation`.
    func allContainers(changedSince generation: UInt64?) -> (generation: UInt64, containers: [ContainerEntry])? {
        generation == containersGeneration ? nil : (containersGeneration, Array(containers.values))
    }

    func containers(inSandbox id: String) -> [ContainerEntry] {
        containers.values.filter { $0.sandboxID == id }
    }

    private func resolve(_ idOrPrefix: String, in ids: IDIndex, what: String) throws(CRIError) -> String {
        guard !idOrPrefix.isEmpty else { throw .invalidArgument("\(what) id is empty") }
        switch ids.resolve(idOrPrefix) {
        case .found(let id): return id
        case .notFound: throw .notFound("\(what) \"\(idOrPrefix)\" not found")
        case .ambiguous: throw .notFound("\(what) id prefix \"\(idOrPrefix)\" is ambiguous")
        }
    }

    // MARK: changes

    func put(_ sandbox: SandboxEntry) throws(CRIError) {
        do { try store.save(sandbox) } catch { throw .internalError("saving pod sandbox \(sandbox.id): \(error)") }
        let before = sandboxes[sandbox.id]?.state
        sandboxes[sandbox.id] = sandbox
        sandboxIDs.add(sandbox.id)
        if let change = LifecycleTransition.of(sandbox: before, to: sandbox.state) {
            announce(change, id: sandbox.id, pod: sandbox.id)
        }
    }

    func put(_ container: ContainerEntry) throws(CRIError) {
        do { try store.save(container) } catch { throw .internalError("saving container \(container.id): \(error)") }
        let before = containers[container.id]?.state
        containers[container.id] = container
        containerIDs.add(container.id)
        if let change = LifecycleTransition.of(container: before, to: container.state) {
            announce(change, id: container.id, pod: container.sandboxID)
        }
    }

    /// Applies `change` to the container if it is still there; returns the result.
    @discardableResult
    func update(container id: String, _ change: (inout ContainerEntry) -> Void) throws(CRIError) -> ContainerEntry? {
        guard var entry = containers[id] else { return nil }
        change(&entry)
        try put(entry)
        return entry
    }

    @discardableResult
    func update(sandbox id: String, _ change: (inout SandboxEntry) -> Void) throws(CRIError) -> SandboxEntry? {
        guard var entry = sandboxes[id] else { return nil }
        change(&entry)
        try put(entry)
        return entry
    }

    /// Removes the pod and what containers it still holds; each container's deletion is
    /// announced before the pod's, while the pod's status can still go with it.
    func remove(sandbox id: String) throws(CRIError) {
        do { try store.removeSandbox(id: id) } catch { throw .internalError("removing pod sandbox \(id): \(error)") }
        for (cid, container) in containers where container.sandboxID == id {
            containers[cid] = nil
            containerIDs.remove(cid)
            release(container.nameKey, for: cid)
            announce(.containerDeletedEvent, id: cid, pod: id)
        }
        sandboxIDs.remove(id)
        guard let entry = sandboxes.removeValue(forKey: id) else { return }
        release(entry.nameKey, for: id)
        events.publish(.init(.containerDeletedEvent, id: id, sandbox: entry, containers: []))
    }

    func remove(container id: String) throws(CRIError) {
        do { try store.removeContainer(id: id) } catch { throw .internalError("removing container \(id): \(error)") }
        containerIDs.remove(id)
        guard let entry = containers.removeValue(forKey: id) else { return }
        release(entry.nameKey, for: id)
        announce(.containerDeletedEvent, id: id, pod: entry.sandboxID)
    }

    /// Publishes a change of `id` (a container, or the pod itself) with the pod as it is now.
    private func announce(_ type: Runtime_V1_ContainerEventType, id: String, pod: String) {
        events.publish(.init(type, id: id, sandbox: sandboxes[pod], containers: containers(inSandbox: pod)))
    }
}
