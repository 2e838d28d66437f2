#if canImport(Glibc)
import Glibc
#endif
import CorralSystem

/// Opens the stdio paths the daemon names for an exec or an attach: FIFOs it made (as
/// containerd's cio does), or plain files. No open ever waits for the daemon's side.
public enum StdioPath {
    public static func isFIFO(_ path: String) -> Bool {
        (try? FileSystem.status(path))?.kind == .fifo
    }

    /// Where a process's input comes from. A FIFO opens read-only and non-blocking: the open
    /// returns at once, and poll(2) reports the hang-up only once a writer has come and gone
    /// (or, if the daemon's writer was already there, once it leaves), so a pump sees end of file
    /// exactly when the daemon closes its end, whichever side opened first. A file opens read-only.
    public static func openInput(_ path: String) throws(SystemError) -> FileDescriptor {
        try FileDescriptor.open(path, isFIFO(path) ? O_RDONLY | O_NONBLOCK : O_RDONLY)
    }

    /// Where output goes. A FIFO the daemon already reads opens write-only, so a write fails with
    /// EPIPE (and poll reports POLLERR) once it stops reading; one it has not opened yet opens
    /// read-write, which cannot fail for want of a reader, and then only closing it ends the
    /// daemon's read. A file is appended to, created if missing. `blocking` for a descriptor
    /// handed to a process as it is; otherwise it stays non-blocking, as an `Outlet` wants it.
    public static func openOutput(_ path: String, blocking: Bool) throws(SystemError) -> FileDescriptor {
        let fd: FileDescriptor
        if isFIFO(path) {
            do {
                fd = try FileDescriptor.open(path, O_WRONLY | O_NONBLOCK)
            } catch where error.errno == ENXIO {
                fd = try FileDescriptor.open(path, O_RDWR | O_NONBLOCK)
            }
            if blocking {
                do {
                    try fd.setNonBlocking(false)
                } catch {
                    fd.close()
                    throw error
                }
            }
        } else {
            fd = try FileDescriptor.open(path, O_WRONLY | O_CREAT | O_APPEND, mode: 0o600)
        }
        return fd
    }
}
