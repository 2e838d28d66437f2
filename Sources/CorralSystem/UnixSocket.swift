#if canImport(Glibc)
import Glibc
#endif
import CCorral

/// Who is on the other end of a unix socket, as the kernel says (SO_PEERCRED).
public struct PeerCredentials: Sendable, Equatable {
    public let pid: Int32
    public let uid: UInt32
    public let gid: UInt32
}

/// Stream sockets in the unix domain, all close-on-exec.
public enum UnixSocket {
    /// A connected pair, for passing descriptors to a child.
    public static func pair() throws(SystemError) -> (FileDescriptor, FileDescriptor) {
        var fds: [Int32] = [-1, -1]
        guard socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0, &fds) == 0 else {
            throw SystemError("socketpair")
        }
        return (FileDescriptor(rawValue: fds[0]), FileDescriptor(rawValue: fds[1]))
    }

    /// The longest path a sockaddr_un holds (107 bytes on Linux).
    public static var maxPathLength: Int { Int(ccorral_unix_path_max()) }

    /// Binds and listens, then sets the socket file's mode. (Not through umask: that is
    /// process-wide, and another thread creating a file meanwhile would get the wrong mode.
    /// Until the chmod the file has the umask's mode, so keep sockets in a 0700 directory.)
    public static func listen(path: String, mode: mode_t = 0o600, backlog: Int32 = 64) throws(SystemError) -> FileDescriptor {
        guard path.utf8.count <= maxPathLength else {
            throw SystemError("bind", path, errno: ENAMETOOLONG)
        }
        let fd = ccorral_unix_listen(path, backlog)
        guard fd >= 0 else { throw SystemError("bind", path) }
        guard chmod(path, mode) == 0 else {
            let error = SystemError("chmod", path)
            Glibc.close(fd)
            throw error
        }
        return FileDescriptor(rawValue: fd)
    }

    public static func connect(path: String) throws(SystemError) -> FileDescriptor {
        guard path.utf8.count <= maxPathLength else {
            throw SystemError("connect", path, errno: ENAMETOOLONG)
        }
        let fd = ccorral_unix_connect(path)
        guard fd >= 0 else { throw SystemError("connect", path) }
        return FileDescriptor(rawValue: fd)
    }

    /// Accepts one connection; nil when none is pending on a non-blocking listener.
    public static func accept(_ listener: FileDescriptor) throws(SystemError) -> FileDescriptor? {
        let fd = ccorral_accept4_cloexec(listener.rawValue)
        if fd >= 0 { return FileDescriptor(rawValue: fd) }
        switch errno {
        case EAGAIN, EWOULDBLOCK, ECONNABORTED: return nil
        default: throw SystemError("accept")
        }
    }

    public static func peerCredentials(_ fd: FileDescriptor) throws(SystemError) -> PeerCredentials {
        var pid: pid_t = 0
        var uid: uid_t = 0
        var gid: gid_t = 0
        guard ccorral_peer_credentials(fd.rawValue, &pid, &uid, &gid) == 0 else {
            throw SystemError("getsockopt(SO_PEERCRED)")
        }
        return PeerCredentials(pid: pid, uid: uid, gid: gid)
    }

    /// Bounds how long a blocking send may wait on a peer that stopped reading.
    public static func setSendTimeout(_ fd: FileDescriptor, milliseconds: Int64) {
        _ = ccorral_set_send_timeout(fd.rawValue, milliseconds)
    }

    public static func setNonBlocking(_ fd: FileDescriptor) {
        try? fd.setNonBlocking()
    }

    /// Stops both directions so a reader blocked elsewhere sees end of file.
    public static func shutdown(_ fd: FileDescriptor) {
        _ = Glibc.shutdown(fd.rawValue, Int32(SHUT_RDWR))
    }
}

extension UnixSocket {
    /// Tells the peer we send nothing more, while still reading what it sends.
    public static func shutdownWrite(_ fd: FileDescriptor) {
        _ = Glibc.shutdown(fd.rawValue, Int32(SHUT_WR))
    }
}
