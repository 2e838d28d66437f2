#if canImport(Glibc)
import Glibc
#endif
import CCorral

/// Path operations the runtime needs, without Foundation.
public enum FileSystem {
    public static func exists(_ path: String) -> Bool {
        access(path, F_OK) == 0
    }

    /// Creates `path` and its missing parents.
    public static func makeDirectories(_ path: String, mode: mode_t = 0o711) throws(SystemError) {
        // Whole prefixes of `path`, not a string built from its components: appending a
        // Substring goes through generic code whose first use in a fresh shim costs a
        // type-metadata lookup on every pod's critical path.
        let relative = !path.hasPrefix("/")
        var index = path.startIndex
        while index < path.endIndex {
            let end = path[index...].firstIndex(of: "/") ?? path.endIndex
            if end > index {
                let prefix = String(path[..<end])
                let current = relative ? "./" + prefix : prefix
                if mkdir(current, mode) != 0 && errno != EEXIST {
                    throw SystemError("mkdir", current)
                }
            }
            index = end < path.endIndex ? path.index(after: end) : end
        }
    }

    public static func remove(_ path: String) {
        _ = unlink(path)
    }

    /// Removes a tree, not following symlinks and not descending into anything mounted inside
    /// it: a bind left mounted under a bundle is somebody's data (a volume), never the bundle's.
    /// What is mounted stays, and so do the directories above it.
    public static func removeTree(_ path: String) {
        var top: UInt64 = 0
        let mount: UInt64? = ccorral_mount_id(path, &top) == 0 ? top : nil
        removeTree(path, onMount: mount)
    }

    private static func removeTree(_ path: String, onMount mount: UInt64?) {
        var info = stat()
        guard lstat(path, &info) == 0 else { return }
        if (info.st_mode & S_IFMT) == S_IFDIR {
            var id: UInt64 = 0
            if let mount, ccorral_mount_id(path, &id) == 0, id != mount { return }
            for entry in (try? listDirectory(path)) ?? [] {
                removeTree(path + "/" + entry, onMount: mount)
            }
            _ = rmdir(path)
        } else {
            _ = unlink(path)
        }
    }

    public static func listDirectory(_ path: String) throws(SystemError) -> [String] {
        guard let dir = opendir(path) else { throw SystemError("opendir", path) }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafePointer(to: entry.pointee.d_name) {
                $0.withMemoryRebound(to: CChar.self, capacity: 256) { String(cString: $0) }
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }

    public static func readFile(_ path: String, limit: Int = 1 << 20) throws(SystemError) -> [UInt8] {
        let fd = try FileDescriptor.open(path, O_RDONLY)
        defer { fd.close() }
        // One uninitialised buffer for every read: a zeroed 64 KiB array per read (two for the
        // smallest file) cost the shim's stats calls, which read a dozen cgroup files each.
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: max(1, min(65536, limit)), alignment: 16)
        defer { buffer.deallocate() }
        var result: [UInt8] = []
        while result.count < limit {
            let want = min(buffer.count, limit - result.count)
            let n = try fd.read(into: UnsafeMutableRawBufferPointer(rebasing: buffer[..<want]), subject: path)
            if n == 0 { break }
            result.append(contentsOf: buffer[..<n])
        }
        return result
    }

    public static func readText(_ path: String) throws(SystemError) -> String {
        String(decoding: try readFile(path), as: UTF8.self)
    }

    /// Writes a file so that readers see the old content or the new, never a part:
    /// a temp file in the same directory, fsync, rename, fsync of the directory.
    ///
    /// `durable: false` leaves out both fsyncs, for files that need not outlive the OS (the
    /// rename alone survives the writer being killed): what the daemon writes under the
    /// runtime state dir, which a reboot empties anyway. The fsyncs cost about 0.5 ms a file
    /// where that dir is on a disk.
    public static func writeAtomically(_ path: String, _ bytes: [UInt8], mode: mode_t = 0o644,
                                       durable: Bool = true) throws(SystemError) {
        let temp = path + ".tmp.\(getpid())"
        let fd = try FileDescriptor.open(temp, O_WRONLY | O_CREAT | O_TRUNC, mode: mode)
        do {
            try fd.writeAll(bytes)
            if durable { try fd.sync() }
            fd.close()
        } catch {
            fd.close()
            unlink(temp)
            throw error
        }
        do {
            try rename(temp, to: path)
        } catch {
            unlink(temp)
            throw error
        }
        if durable { syncDirectory(parent(of: path)) }
    }

    /// Errors name the target.
    public static func rename(_ source: String, to target: String) throws(SystemError) {
        guard Glibc.rename(source, target) == 0 else { throw SystemError("rename", target) }
    }

    /// Makes what was renamed or created in a directory durable; best effort, failures ignored.
    public static func syncDirectory(_ path: String) {
        guard let fd = try? FileDescriptor.open(path, O_RDONLY | O_DIRECTORY) else { return }
        _ = fsync(fd.rawValue)
        fd.close()
    }

    /// Asks the filesystem to spread the directory's subdirectories over its block groups, as
    /// ext4's allocator does for the children of a filesystem's root (chattr +T). Otherwise each
    /// new subdirectory lands in its parent's group, and on an ext4 without a journal every inode
    /// created there is first checked against each one deleted there in the last minutes: cold
    /// pulls right after image removals spent 80% of their CPU in that scan. Best effort: a
    /// filesystem without the flag refuses, and nothing changes.
    @discardableResult
    public static func spreadSubdirectories(_ path: String) -> Bool {
        guard let fd = try? FileDescriptor.open(path, O_RDONLY | O_DIRECTORY) else { return false }
        defer { fd.close() }
        return ccorral_add_topdir_flag(fd.rawValue) == 0
    }

    /// A symlink's target, as bytes.
    public static func readLink(_ path: String) throws(SystemError) -> [UInt8] {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let n = readlink(path, &buffer, buffer.count)
        guard n >= 0 else { throw SystemError("readlink", path) }
        return buffer[..<n].map { UInt8(bitPattern: $0) }
    }

    public static func parent(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        return slash == path.startIndex ? "/" : String(path[..<slash])
    }

    /// An absolute form of `path`, relative to the current directory; no symlinks resolved.
    public static func absolute(_ path: String) -> String {
        if path.hasPrefix("/") { return path }
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX))
        guard getcwd(&buffer, buffer.count) != nil else { return path }
        let cwd = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return cwd == "/" ? "/" + path : cwd + "/" + path
    }
}

extension FileSystem {
    /// Gives `path` to `group`, a group name from /etc/group or a numeric gid; the owner stays.
    public static func changeGroup(_ path: String, to group: String) throws(SystemError) {
        let gid: gid_t
        if let number = gid_t(group) {
            gid = number
        } else if let entry = getgrnam(group) {
            gid = entry.pointee.gr_gid
        } else {
            throw SystemError("getgrnam", group, errno: ENOENT)
        }
        guard chown(path, uid_t.max, gid) == 0 else { throw SystemError("chown", path) }
    }
}
