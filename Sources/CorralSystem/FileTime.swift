#if canImport(Glibc)
import Glibc
#endif

/// A file's time stamp: seconds and nanoseconds since the epoch.
public struct FileTime: Sendable, Equatable {
    public var seconds: Int64
    public var nanoseconds: Int

    public init(seconds: Int64, nanoseconds: Int) {
        self.seconds = seconds
        self.nanoseconds = nanoseconds
    }

    var timespec: Glibc.timespec {
        Glibc.timespec(tv_sec: Int(seconds), tv_nsec: nanoseconds)
    }
}
