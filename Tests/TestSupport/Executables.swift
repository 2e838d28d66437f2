import CorralSystem

#if canImport(Glibc)
import Glibc
#endif

/// A script a test has just written may not run at once: a process another test forked
/// meanwhile can still hold the descriptor it was written through (ETXTBSY) until that process
/// execs. Runs it (with `--version`) until it does, so that the runtime under test never meets that.
public func waitUntilExecutable(_ path: String) throws {
    for _ in 0..<200 {
        let result = Result { () throws(SystemError) -> pid_t in try Spawn.run(path, arguments: [path, "--version"]) }
        switch result {
        case .success(let pid):
            _ = try ProcessControl.wait(for: pid)
            return
        case .failure(let error) where error.errno == ETXTBSY:
            usleep(10_000)
        case .failure(let error):
            throw error
        }
    }
    throw SystemError("execve", path, errno: ETXTBSY)
}
