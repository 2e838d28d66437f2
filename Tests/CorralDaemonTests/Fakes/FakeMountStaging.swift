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
        var released: [String] = []
        var failOn: String?
    }

    let state = Mutex(State())

    func stageRecursiveReadOnly(_ source: String, at target: String) throws(SystemError) {
        let fails = state.withLock { s -> Bool in
            if s.failOn == source { return true }
            s.staged[target] = source
            return false
        }
        if fails { throw SystemError("open_tree", source, errno: EPERM) }
        try FileSystem.makeDirectories(target, mode: 0o700)
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
