#if canImport(Glibc)
import Glibc
#endif
import CCorral

/// How a process ended, decoded from a wait status.
public enum ExitStatus: Sendable, Equatable, CustomStringConvertible {
    case exited(Int32)
    case signaled(Int32)

    public init(waitStatus status: Int32) {
        if ccorral_wifsignaled(status) != 0 {
            self = .signaled(ccorral_wtermsig(status))
        } else {
            self = .exited(ccorral_wexitstatus(status))
        }
    }

    /// The code a shell would report: the exit code, or 128 + the signal.
    public var code: Int32 {
        switch self {
        case .exited(let code): code
        case .signaled(let signal): 128 + signal
        }
    }

    public var description: String {
        switch self {
        case .exited(let code): "exit code \(code)"
        case .signaled(let signal): "signal \(signal)"
        }
    }
}
