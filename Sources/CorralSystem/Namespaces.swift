#if canImport(Glibc)
import Glibc
#endif
import CCorral

/// Namespaces that outlive every process in them, pinned as bind mounts of their nsfs files.
public enum Namespaces {
    public struct Kinds: OptionSet, Sendable {
        public let rawValue: Int32
        public init(rawValue: Int32) { self.rawValue = rawValue }
        public static let network = Kinds(rawValue: ccorral_clone_newnet)
        public static let ipc = Kinds(rawValue: ccorral_clone_newipc)
        public static let uts = Kinds(rawValue: ccorral_clone_newuts)
    }

    /// Creates new namespaces of `kinds` and pins each at its path (the pin files are created
    /// here), and, when `command` is given, starts it as PID 1 of a fresh PID namespace, in a
    /// session of its own and in the new namespaces (made first, on the same thread), with an
    /// empty environment. Returns the init's pid when one was asked for; on failure nothing
    /// created here remains.
    public static func createPinned(_ kinds: Kinds, hostname: String?, network: String?, ipc: String?, uts: String?,
                                    spawningInit command: (path: String, arguments: [String])?) throws(SystemError) -> pid_t? {
        let paths = [kinds.contains(.network) ? network : nil, kinds.contains(.ipc) ? ipc : nil,
                     kinds.contains(.uts) ? uts : nil]
        for case let path? in paths {
            let fd = try FileDescriptor.open(path, O_RDONLY | O_CREAT, mode: 0o444)
            fd.close()
        }
        var pid: pid_t = 0
        var pinError: Int32 = 0
        var initError: Int32 = 0
        _ = withCStrings(command?.arguments ?? []) { argv in
            withCStrings([]) { envp in
                ccorral_pin_namespaces_and_spawn_init(kinds.rawValue, hostname, paths[0], paths[1], paths[2], &pid,
                                                      command?.path, command == nil ? nil : argv,
                                                      command == nil ? nil : envp, &pinError, &initError)
            }
        }
        if pinError != 0 {
            for case let path? in paths { FileSystem.remove(path) }
            if command != nil && initError == 0 && pid > 1 { kill(pid, SIGKILL) }
            throw SystemError("pin namespaces", paths.compactMap { $0 }.joined(separator: ", "), errno: pinError)
        }
        if initError != 0 {
            for case let path? in paths { release(path) }
            throw SystemError("spawn pid namespace init", command?.path ?? "", errno: initError)
        }
        return command == nil ? nil : pid
    }

    /// Like `createPinned`, in a user namespace of its own made with the given maps (each the
    /// text of a uid_map or gid_map), which owns the other namespaces and is pinned at `user`.
    /// Returns the child that made them: the init when one was asked for (PID 1 of a new PID
    /// namespace owned by the user namespace), else a helper that has already ended. Either is
    /// the caller's reaper's to reap. On failure nothing created here remains.
    public static func createPinnedInUserNamespace(
        _ kinds: Kinds, uidMap: String, gidMap: String, hostname: String?, user: String, network: String?,
        ipc: String?, uts: String?, spawningInit command: (path: String, arguments: [String])?
    ) throws(SystemError) -> pid_t {
        let paths = [user, kinds.contains(.network) ? network : nil, kinds.contains(.ipc) ? ipc : nil,
                     kinds.contains(.uts) ? uts : nil]
        for case let path? in paths {
            let fd = try FileDescriptor.open(path, O_RDONLY | O_CREAT, mode: 0o444)
            fd.close()
        }
        var pid: pid_t = 0
        let result = withCStrings(command?.arguments ?? []) { argv in
            withCStrings([]) { envp in
                ccorral_create_user_pod(kinds.rawValue, uidMap, gidMap, hostname, user, paths[1], paths[2], paths[3],
                                        command?.path, command == nil ? nil : argv, command == nil ? nil : envp, &pid)
            }
        }
        guard result == 0 else {
            let error = SystemError("create user namespace", paths.compactMap { $0 }.joined(separator: ", "))
            for case let path? in paths { FileSystem.remove(path) }
            throw error
        }
        return pid
    }

    /// Unmounts and removes a pin; a no-op when it is already gone.
    public static func release(_ path: String) {
        _ = ccorral_unmount_detach(path)
        FileSystem.remove(path)
    }
}

/// Mounts, with Swift names.
public enum Mounts {
    public static func bind(_ source: String, to target: String, readOnly: Bool = false) throws(SystemError) {
        guard ccorral_bind_mount(source, target, readOnly ? 1 : 0) == 0 else { throw SystemError("bind mount", "\(source) on \(target)") }
    }

    public static func mount(_ source: String, on target: String, type: String, flags: UInt = 0, data: String?) throws(SystemError) {
        guard ccorral_mount(source, target, type, flags, data) == 0 else {
            throw SystemError("mount \(type)", "\(source) on \(target)")
        }
    }

    /// Attaches at `target` a copy of the whole mount tree at `source` with every mount in it
    /// changed at once: read-only (the recursive read-only bind that `mount(2)` cannot make,
    /// since its MS_RDONLY remount changes the top mount only), private, and ID-mapped through
    /// the user namespace open at `idmap`. The source is left as it was.
    public static func copyTree(of source: String, at target: String, readOnly: Bool = false, makePrivate: Bool = false,
                                idmap userNamespace: FileDescriptor? = nil) throws(SystemError) {
        var attributes: UInt64 = 0
        if readOnly { attributes |= ccorral_mount_attr_rdonly }
        if userNamespace != nil { attributes |= ccorral_mount_attr_idmap }
        guard ccorral_clone_tree(source, target, attributes, makePrivate ? ccorral_ms_private : 0,
                                 userNamespace?.rawValue ?? -1) == 0 else {
            throw SystemError(userNamespace == nil ? "copy mount tree" : "ID-mapped copy of mount tree", "\(source) on \(target)")
        }
    }

    /// Lazily unmounts; false when nothing was mounted there.
    @discardableResult
    public static func unmount(_ target: String) -> Bool {
        ccorral_unmount_detach(target) == 0
    }

    /// Whether `path` is a mount point, from /proc/self/mountinfo.
    public static func isMountPoint(_ path: String) -> Bool {
        guard let info = try? FileSystem.readText("/proc/self/mountinfo") else { return false }
        return info.split(separator: "\n").contains { line in
            let fields = line.split(separator: " ")
            return fields.count > 4 && fields[4] == path
        }
    }
}

/// A process that is PID 1 of a new PID namespace, for pods that share one.
public enum PIDNamespaceInit {
    /// The loop such an init runs: reap orphans until SIGTERM. Call in a fresh process.
    public static func runLoop() -> Never {
        ccorral_pid1_loop()
    }
}

/// The controlling side of a container's pseudo-terminal.
public enum Terminal {
    /// Receives the pty master that runc sends over its console socket.
    public static func receiveMaster(over socket: FileDescriptor) throws(SystemError) -> FileDescriptor {
        let fd = ccorral_receive_fd(socket.rawValue)
        guard fd >= 0 else { throw SystemError("recvmsg(SCM_RIGHTS)") }
        return FileDescriptor(rawValue: fd)
    }

    public static func resize(_ master: FileDescriptor, rows: UInt16, columns: UInt16) throws(SystemError) {
        guard ccorral_set_window_size(master.rawValue, rows, columns) == 0 else { throw SystemError("ioctl(TIOCSWINSZ)") }
    }
}

extension Namespaces {
    /// A TCP connection to localhost:`port` as seen from inside the network namespace at
    /// `path` (a pod's pinned netns): what port-forward reaches. No thread of the caller's
    /// changes namespace.
    public static func connectToLocalhost(port: Int32, inNetworkNamespace path: String) throws(SystemError) -> FileDescriptor {
        let fd = ccorral_connect_in_netns(path, port)
        guard fd >= 0 else { throw SystemError("connect to localhost:\(port) in", path) }
        return FileDescriptor(rawValue: fd)
    }
}
