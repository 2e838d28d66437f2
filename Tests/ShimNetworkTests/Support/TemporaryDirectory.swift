import CorralSystem

#if canImport(Glibc)
import Glibc
#endif

/// A fresh directory under /tmp for one test; removed by `remove()`.
struct TemporaryDirectory {
    let path: String

    /// The creating pid is part of the name, so a later run can tell what a killed one left.
    init(_ label: String) throws {
        path = "/tmp/corral-\(label)-\(getpid())-\(String(UInt32.random(in: 0...UInt32.max), radix: 16))"
        try FileSystem.makeDirectories(path, mode: 0o755)
    }

    init(existing path: String) {
        self.path = path
    }

    /// Directories under /tmp named `corral-<label>-<pid>-<random>` whose process is gone.
    static func abandoned(label: String) -> [(path: String, labelSuffix: String)] {
        let prefix = "corral-\(label)"
        return ((try? FileSystem.listDirectory("/tmp")) ?? []).compactMap { name in
            guard name.hasPrefix(prefix) else { return nil }
            let parts = name.split(separator: "-")
            guard parts.count >= 3, let pid = Int32(parts[parts.count - 2]), !ProcessControl.isAlive(pid) else { return nil }
            let suffix = name.dropFirst(prefix.count).split(separator: "-").dropLast(2).joined(separator: "-")
            return ("/tmp/" + name, suffix)
        }
    }

    func write(_ name: String, _ text: String, mode: mode_t = 0o644) throws {
        try FileSystem.writeAtomically(path + "/" + name, Array(text.utf8), mode: mode)
    }

    func remove() {
        FileSystem.removeTree(path)
    }
}
