#if canImport(Glibc)
import Glibc
#endif

// Swift's Glibc module leaves out <sys/eventfd.h>, syscall(2) is variadic and so not
// importable, and dlsym finds nothing in the static shim. Until CCorral wraps it, this binds
// the libc symbol directly: int eventfd(unsigned int, int) passes and returns plain integers,
// which the Swift and C conventions put in the same registers on x86_64 and arm64.
@_silgen_name("eventfd")
private func libcEventFD(_ initialValue: UInt32, _ flags: Int32) -> Int32

enum EventFD {
    /// A close-on-exec, non-blocking eventfd starting at zero; -1 with errno set on failure.
    static func make() -> Int32 {
        // EFD_CLOEXEC and EFD_NONBLOCK are defined as O_CLOEXEC and O_NONBLOCK.
        libcEventFD(0, O_CLOEXEC | O_NONBLOCK)
    }
}
