#if canImport(Glibc)
import Glibc
#endif

/// What uname(2) says about the machine.
public enum HostInfo {
    /// The hardware name: `x86_64`, `aarch64`.
    public static func machine() -> String {
        var name = utsname()
        uname(&name)
        return withUnsafePointer(to: name.machine) {
            $0.withMemoryRebound(to: CChar.self, capacity: MemoryLayout.size(ofValue: name.machine)) { String(cString: $0) }
        }
    }
}
