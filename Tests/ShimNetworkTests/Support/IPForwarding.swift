import CorralSystem

#if canImport(Glibc)
import Glibc
#endif

/// The bridge plugin turns on net.ipv4.ip_forward host-wide for a gateway bridge and never
/// turns it off; a test puts back what it found.
enum IPForwarding {
    private static let path = "/proc/sys/net/ipv4/ip_forward"

    static var current: String? {
        (try? FileSystem.readText(path))?.trimmingSuffix("\n")
    }

    static func restore(_ value: String?) {
        guard let value, value != current,
              let fd = try? FileDescriptor.open(path, O_WRONLY) else { return }
        try? fd.writeAll(Array(value.utf8))
        fd.close()
    }
}

extension String {
    func trimmingSuffix(_ suffix: String) -> String {
        hasSuffix(suffix) ? String(dropLast(suffix.count)) : self
    }
}
