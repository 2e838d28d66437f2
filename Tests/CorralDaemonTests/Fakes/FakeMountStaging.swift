@testable import CorralDaemon
import CorralSystem
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// Staging without mounting: what was staged where, what was released, and a failure to hand out.
final class FakeMountStaging: MountStaging, Sendable {
    struct State {
        var staged: [String: String] = [:]
        var kinds: [String: StagedMount] = [:]
        var released: [String] = []
        var owners: [String: (uid: UInt32, gid: UInt32)] = [:]
        var failOn: String?
    }

    let state = Mutex(State())

    func stage(_ source: String, at target: String, as mount: StagedMount) throws(SystemError) {
        let fails = state.withLock { s -> Bool in
            if s.failOn == source { return true }
            s.staged[target] = source
            s.kinds[target] = mount
            return false
        }
        if fails { throw SystemError("open_tree", source, errno: EPERM) }
        try FileSystem.makeDirectories(target, mode: 0o711)
    }

    func changeOwner(of path: String, uid: UInt32, gid: UInt32) throws(SystemError) {
        state.withLock { $0.owners[path] = (uid, gid) }
    }

    func release(_ directory: String) -> Bool {
        state.withLock { s in
            s.released.append(directory)
            s.staged = s.staged.filter { !$0.key.hasPrefix(directory + "/") }
        }
        FileSystem.removeTree(directory)
        return true
    }
}
