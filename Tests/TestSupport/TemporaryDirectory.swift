import CorralSystem

#if canImport(Glibc)
import Glibc
#endif

/// A fresh directory under /tmp for one test, removed by `remove()` or once the last reference
/// to it goes. Its name, `corral-<label>-<pid>-<random>`, carries the creating pid, so a later
/// run can tell what a killed one left (`abandoned`).
public final class TemporaryDirectory: Sendable {
    public let path: String
    /// A directory a killed run left is removed by `remove()` only.
    private let removedWithLastReference: Bool

    public init(_ label: String = "test") throws {
        path = "/tmp/corral-\(label)-\(getpid())-\(String(UInt32.random(in: 0...UInt32.max), radix: 16))"
        removedWithLastReference = true
        try FileSystem.makeDirectories(path, mode: 0o755)
    }

    public init(existing path: String) {
        self.path = path
        removedWithLastReference = false
    }

    deinit {
        if removedWithLastReference { FileSystem.removeTree(path) }
    }

    public func remove() {
        FileSystem.removeTree(path)
    }

    /// Writes `name` (a path relative to the directory; missing directories are made) and
    /// returns its full path.
    @discardableResult
    public func write(_ name: String, _ bytes: [UInt8], mode: mode_t = 0o644) throws -> String {
        let file = path + "/" + name
        try FileSystem.makeDirectories(FileSystem.parent(of: file), mode: 0o755)
        try FileSystem.writeAtomically(file, bytes, mode: mode)
        return file
    }

    @discardableResult
    public func write(_ name: String, _ text: String, mode: mode_t = 0o644) throws -> String {
        try write(name, Array(text.utf8), mode: mode)
    }

    @discardableResult
    public func directory(_ name: String) throws -> String {
        let directory = path + "/" + name
        try FileSystem.makeDirectories(directory, mode: 0o755)
        return directory
    }

    @discardableResult
    public func symlink(_ name: String, to target: String) throws -> String {
        let link = path + "/" + name
        guard Glibc.symlink(target, link) == 0 else { throw SystemError("symlink", link) }
        return link
    }

    /// Directories under /tmp named `corral-<label>…-<pid>-<random>` whose process is gone, with
    /// what stands between the label and the pid.
    public static func abandoned(label: String) -> [(path: String, labelSuffix: String)] {
        let prefix = "corral-\(label)"
        return ((try? FileSystem.listDirectory("/tmp")) ?? []).compactMap { name in
            guard name.hasPrefix(prefix) else { return nil }
            let parts = name.split(separator: "-")
            guard parts.count >= 3, let pid = Int32(parts[parts.count - 2]), !ProcessControl.isAlive(pid) else { return nil }
            let suffix = name.dropFirst(prefix.count).split(separator: "-").dropLast(2).joined(separator: "-")
            return ("/tmp/" + name, suffix)
        }
    }
}
