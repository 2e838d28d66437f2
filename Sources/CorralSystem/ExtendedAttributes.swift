import CCorral

/// Extended attributes by descriptor, or by a path; set with flags 0 (create or replace).
public enum ExtendedAttributes {
    public static func set(fd: FileDescriptor, name: String, value: [UInt8]) throws(SystemError) {
        let rc = value.withUnsafeBytes { ccorral_fsetxattr(fd.rawValue, name, $0.baseAddress, $0.count) }
        guard rc == 0 else { throw SystemError("fsetxattr", name) }
    }

    /// Not followed at its last component: sets the attribute of a symlink itself.
    public static func set(linkPath path: String, name: String, value: [UInt8]) throws(SystemError) {
        let rc = value.withUnsafeBytes { ccorral_lsetxattr(path, name, $0.baseAddress, $0.count) }
        guard rc == 0 else { throw SystemError("lsetxattr", name) }
    }

    /// Follows the path: for `/proc/self/fd/N`, which names the directory N is open on.
    public static func set(path: String, name: String, value: [UInt8]) throws(SystemError) {
        let rc = value.withUnsafeBytes { ccorral_setxattr(path, name, $0.baseAddress, $0.count) }
        guard rc == 0 else { throw SystemError("setxattr", name) }
    }

    /// Up to 256 bytes of the attribute, not following a symlink at the last component; nil
    /// when it is not set or cannot be read.
    public static func get(path: String, name: String) -> [UInt8]? {
        var buffer = [UInt8](repeating: 0, count: 256)
        let n = buffer.withUnsafeMutableBytes { ccorral_lgetxattr(path, name, $0.baseAddress, $0.count) }
        return n >= 0 ? Array(buffer[..<n]) : nil
    }
}
