#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// A failed system call: the call's name, what it was applied to, and errno.
public struct SystemError: Error, CustomStringConvertible, Equatable, Sendable {
    public let call: String
    public let subject: String
    public let errno: Int32

    public init(_ call: String, _ subject: String = "", errno: Int32 = Glibc.errno) {
        self.call = call
        self.subject = subject
        self.errno = errno
    }

    public var description: String {
        let reason = String(cString: strerror(errno))
        return subject.isEmpty ? "\(call): \(reason)" : "\(call) \(subject): \(reason)"
    }
}

/// Retries a call interrupted by a signal; throws on any other failure.
@discardableResult
public func retryingOnInterrupt(_ call: String, _ subject: String = "",
                                _ body: () -> Int) throws(SystemError) -> Int {
    while true {
        let rc = body()
        if rc >= 0 { return rc }
        if errno == EINTR { continue }
        throw SystemError(call, subject)
    }
}
