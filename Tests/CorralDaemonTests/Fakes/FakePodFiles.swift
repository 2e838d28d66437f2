import CRIAPI
import CorralSpec
import CorralSystem
@testable import CorralDaemon
import Synchronization

/// The pods' shared files without the host's mounts: plain files under `base` (the spec generator
/// checks they exist), what was asked of them, and a failure to hand out.
final class FakePodFiles: PodFileStore, Sendable {
    let base: String

    init(base: String) {
        self.base = base
    }

    struct State {
        var created: Set<String> = []
        var hosts: [String: [String]] = [:]
        var removed: [String] = []
        var unmounted: [String] = []
        var createFailure: CRIError?
        var recordFailure: CRIError?
    }

    let state = Mutex(State())

    func create(pod: String, config: Runtime_V1_PodSandboxConfig, hostname: String) throws(CRIError) {
        let failure = state.withLock { s -> CRIError? in
            if let failure = s.createFailure { return failure }
            s.created.insert(pod)
            return nil
        }
        if let failure { throw failure }
        let mounts = mounts(pod: pod)
        do {
            try FileSystem.makeDirectories(mounts.shm)
            for file in [mounts.hosts, mounts.resolvConf, mounts.hostname] { try FileSystem.writeAtomically(file, Array((hostname + "\n").utf8)) }
        } catch {
            throw .internalError("\(error)")
        }
    }

    func recordAddresses(pod: String, hostname: String, ips: [String]) throws(CRIError) {
        let failure = state.withLock { s -> CRIError? in
            if let failure = s.recordFailure { return failure }
            s.hosts[pod] = ips
            return nil
        }
        if let failure { throw failure }
    }

    func unmountShm(pod: String) { state.withLock { $0.unmounted.append(pod) } }

    func pods() -> [String] { state.withLock { Array($0.created) } }

    func remove(pod: String) {
        state.withLock { s in
            s.created.remove(pod)
            s.removed.append(pod)
        }
        FileSystem.removeTree(directory(pod: pod))
    }

    func mounts(pod: String) -> PodFileMounts {
        let dir = directory(pod: pod)
        return PodFileMounts(hosts: dir + "/hosts", resolvConf: dir + "/resolv.conf", hostname: dir + "/hostname", shm: dir + "/shm")
    }

    func directory(pod: String) -> String { base + "/pods/" + pod }
}
