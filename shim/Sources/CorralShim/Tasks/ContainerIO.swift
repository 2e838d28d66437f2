import CorralSystem
import ShimIO
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// A container's stdio as the shim holds it: the ends of its pipes (or its pty master) and the
/// pumps that copy output into the CRI log.
final class ContainerIO: Sendable {
    private struct State {
        var stdin: FileDescriptor?
        var terminal: FileDescriptor?
        var openStreams = 0
        var pumps: [LogPump] = []
    }

    private let state = Mutex(State())
    private let drained = Latch()
    let writer: CRILogWriter?

    private init(writer: CRILogWriter?) {
        self.writer = writer
    }

    /// What the runtime hands the container, and what the shim closes once the runtime returns.
    struct ChildEnds: Sendable {
        var stdio: Spawn.Stdio
        var fds: [FileDescriptor]
        func close() { fds.forEach { $0.close() } }
    }

    /// Pipes for a container without a terminal: stdout and stderr into the log.
    static func pipes(logPath: String, stdin wantsStdin: Bool) throws(SystemError) -> (ContainerIO, ChildEnds) {
        let writer = logPath.isEmpty ? nil : try CRILogWriter(path: logPath)
        let io = ContainerIO(writer: writer)
        var ends = ChildEnds(stdio: .init(), fds: [])
        do {
            if wantsStdin {
                let pipe = try FileDescriptor.pipe()
                io.state.withLock { $0.stdin = pipe.write }
                ends.stdio.stdin = pipe.read
                ends.fds.append(pipe.read)
            }
            for stream in [LogStream.stdout, .stderr] {
                let pipe = try FileDescriptor.pipe()
                if stream == .stdout { ends.stdio.stdout = pipe.write } else { ends.stdio.stderr = pipe.write }
                ends.fds.append(pipe.write)
                try io.pump(pipe.read, stream)
            }
        } catch {
            ends.close()
            io.close()
            throw error
        }
        return (io, ends)
    }

    /// For a terminal: the pty master arrives later, through the console socket.
    static func terminal(logPath: String) throws(SystemError) -> ContainerIO {
        ContainerIO(writer: logPath.isEmpty ? nil : try CRILogWriter(path: logPath))
    }

    func attachTerminal(_ master: FileDescriptor, stdin: Bool) throws(SystemError) {
        // The pump owns and closes the master; stdin writes go to a duplicate.
        let duplicate = dup(master.rawValue)
        if duplicate >= 0 {
            _ = fcntl(duplicate, F_SETFD, FD_CLOEXEC)
            state.withLock { $0.terminal = FileDescriptor(rawValue: duplicate) }
        }
        try pump(master, .stdout)
    }

    private func pump(_ fd: FileDescriptor, _ stream: LogStream) throws(SystemError) {
        state.withLock { $0.openStreams += 1 }
        guard let writer else {
            // Nowhere to log: drain and drop, so the container never blocks on a full pipe.
            let sink = try CRILogWriter(path: "/dev/null")
            try startPump(fd, stream, sink)
            return
        }
        try startPump(fd, stream, writer)
    }

    private func startPump(_ fd: FileDescriptor, _ stream: LogStream, _ writer: CRILogWriter) throws(SystemError) {
        let pump = try LogPump(reading: fd, stream: stream, into: writer) { [self] in streamEnded() }
        state.withLock { $0.pumps.append(pump) }
    }

    private func streamEnded() {
        let allEnded = state.withLock { s -> Bool in
            s.openStreams -= 1
            guard s.openStreams <= 0 else { return false }
            s.pumps.removeAll()
            return true
        }
        if allEnded { drained.open() }
    }

    /// Returns once every output stream reached end of file, or after `timeout`: a process
    /// that left a child holding the pipe must not hold up its exit report forever.
    func waitDrained(timeout: Duration) async {
        if state.withLock({ $0.openStreams <= 0 }) { return }
        await drained.wait(timeout: timeout)
    }

    func closeStdin() {
        state.withLock { s in
            s.stdin?.close()
            s.stdin = nil
            if let terminal = s.terminal {
                // A terminal has no separate stdin: send end-of-file (^D) instead.
                try? terminal.writeAll([4])
            }
        }
    }

    func resize(rows: UInt16, columns: UInt16) {
        state.withLock { s in
            if let terminal = s.terminal { try? Terminal.resize(terminal, rows: rows, columns: columns) }
        }
    }

    func reopenLog() throws(SystemError) {
        try writer?.reopen()
    }

    func close() {
        let pumps = state.withLock { s -> [LogPump] in
            s.stdin?.close()
            s.stdin = nil
            s.terminal?.close()
            s.terminal = nil
            return s.pumps
        }
        pumps.forEach { $0.cancel() }
        writer?.close()
    }
}
