import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// A /bin/sh command started without waiting for it, its output on the bench's stderr.
///
/// Not Foundation's Process: on Linux it learns that its child ended from a descriptor the child
/// inherits, and a command that starts a daemon in the background (`corrald … &`, the lab's
/// start-containerd.sh) hands that descriptor on to the daemon, so the command never "ends".
/// Here the shell is posix_spawn'ed with none of the bench's descriptors but 0, 1 and 2, and
/// reaped with waitpid.
struct ShellCommand {
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    let pid: pid_t

    init(_ command: String) throws {
        Self.closeOnExec()
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        // stdout is the report's; the command's output goes with the bench's progress.
        posix_spawn_file_actions_adddup2(&actions, 2, 1)
        let argv: [UnsafeMutablePointer<CChar>?] = ["/bin/sh", "-c", command].map { (arg: String) in strdup(arg) } + [nil]
        defer { for arg in argv { free(arg) } }
        var child: pid_t = 0
        let status = posix_spawn(&child, "/bin/sh", &actions, nil, argv, environ)
        guard status == 0 else { throw Failure(description: "posix_spawn /bin/sh: \(String(cString: strerror(status)))") }
        pid = child
    }

    /// The shell's exit status once it has ended (reaping it), nil while it runs.
    func exitStatus() -> Int32? {
        var status: Int32 = 0
        let reaped = waitpid(pid, &status, WNOHANG)
        guard reaped == pid else { return reaped < 0 ? -1 : nil }
        // WIFEXITED / WEXITSTATUS, which Swift does not import; a signal reads as 128 + its number.
        return status & 0x7f == 0 ? (status >> 8) & 0xff : 128 + status & 0x7f
    }

    /// Every descriptor of the bench above 2 is closed in the command; a few may be opened
    /// without FD_CLOEXEC by the libraries the bench links.
    private static func closeOnExec() {
        let fds = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? []
        for fd in fds.compactMap(Int32.init) where fd > 2 {
            let flags = fcntl(fd, F_GETFD)
            if flags >= 0 { _ = fcntl(fd, F_SETFD, flags | FD_CLOEXEC) }
        }
    }
}
