import CorralSystem
import ShimIO
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// A process's stdio as the shim holds it, a container's or an exec's: the shim's end of its
/// stdin (a pipe, or the pty master), the pumps that copy its output into the CRI log, and the
/// clients attached to it (`Attach`, or an exec's own FIFOs). A client gets a copy of the output
/// through outlets on those pumps, and feeds stdin through a pump of its own (its relay) into a
/// duplicate of the stdin end, so that closing stdin can end every client's copy at once.
final class ContainerIO: Sendable {
    /// What follows when a client's stdin ends (its FIFO reached end of file, or the client left).
    struct InputRules: Sendable {
        /// The process's stdin is closed too.
        var closesStdin: Bool
        /// The client's outputs detach too.
        var detachesOutput: Bool

        /// containerd's attach: stdin_once closes the container's stdin when the client's stdin
        /// ends; without a terminal the output then stays attached until the container ends.
        static func container(stdinOnce: Bool, terminal: Bool) -> InputRules {
            InputRules(closesStdin: stdinOnce, detachesOutput: !(stdinOnce && !terminal))
        }

        /// An exec's stdin FIFO ending is its stdin ending; a terminal waits for CloseIO's ^D.
        static func exec(terminal: Bool) -> InputRules {
            InputRules(closesStdin: !terminal, detachesOutput: false)
        }
    }

    /// One attached client.
    private struct Client {
        var outputs: [Outlet]
        var openOutputs = 0
        /// What its relay writes: a duplicate of the process's stdin end (nil: stdin is closed).
        var input: Outlet?
        var relay: Pump?
        var relayRunning: Bool
        var detached = false

        var isDone: Bool { !relayRunning && (detached || openOutputs <= 0) }
    }

    private struct State {
        /// The shim's end of the process's stdin pipe; nil once closed, or without one.
        var stdin: FileDescriptor?
        /// A duplicate of the pty master (its pump owns the original): for resizing, for input,
        /// and for the ^D that ends a terminal's input.
        var terminal: FileDescriptor?
        var stdinOpen = false
        /// Output sources (the pty master, an exec's pipes) until their pumps start.
        var unstarted: [LogStream: FileDescriptor] = [:]
        var pumps: [LogStream: Pump] = [:]
        var startedStreams: Set<LogStream> = []
        /// Outlets of clients that attached before their stream's pump started.
        var parked: [LogStream: [Outlet]] = [:]
        var openStreams = 0
        var clients: [Int: Client] = [:]
        var nextClient = 0
        var closed = false
    }

    private let state = Mutex(State())
    private let drained = Latch()
    let writer: CRILogWriter?
    private let outputStreams: Set<LogStream>
    private let rules: InputRules

    private init(writer: CRILogWriter?, outputStreams: Set<LogStream>, rules: InputRules) {
        self.writer = writer
        self.outputStreams = outputStreams
        self.rules = rules
    }

    /// What the runtime hands the container, and what the shim closes once the runtime returns.
    struct ChildEnds: Sendable {
        var stdio: Spawn.Stdio
        var fds: [FileDescriptor]
        func close() { fds.forEach { $0.close() } }
    }

    /// Pipes for a container without a terminal: stdout and stderr into the log.
    static func pipes(logPath: String, stdin wantsStdin: Bool, stdinOnce: Bool) throws(SystemError) -> (ContainerIO, ChildEnds) {
        let writer = logPath.isEmpty ? nil : try CRILogWriter(path: logPath)
        let io = ContainerIO(writer: writer, outputStreams: [.stdout, .stderr],
                             rules: .container(stdinOnce: stdinOnce, terminal: false))
        var ends = ChildEnds(stdio: .init(), fds: [])
        do {
            if wantsStdin {
                let pipe = try FileDescriptor.pipe()
                io.state.withLock { s in
                    s.stdin = pipe.write
                    s.stdinOpen = true
                }
                ends.stdio.stdin = pipe.read
                ends.fds.append(pipe.read)
            }
            for stream in [LogStream.stdout, .stderr] {
                let pipe = try FileDescriptor.pipe()
                if stream == .stdout { ends.stdio.stdout = pipe.write } else { ends.stdio.stderr = pipe.write }
                ends.fds.append(pipe.write)
                try io.startPump(pipe.read, stream)
            }
        } catch {
            ends.close()
            io.close()
            throw error
        }
        return (io, ends)
    }

    /// For a container's terminal: the pty master arrives later, through the console socket.
    static func terminal(logPath: String, stdinOnce: Bool) throws(SystemError) -> ContainerIO {
        ContainerIO(writer: logPath.isEmpty ? nil : try CRILogWriter(path: logPath), outputStreams: [.stdout],
                    rules: .container(stdinOnce: stdinOnce, terminal: true))
    }

    /// An exec's: nothing is logged. Its own FIFOs attach as a client before its output starts,
    /// so they get all of it. The process writes into a pty or pipes of the shim's, never into
    /// the FIFOs themselves: they are files of the host, which a descriptor in the container's
    /// hands could chmod, reopen through /proc/self/fd or name.
    static func exec(terminal: Bool, outputs: Set<LogStream>) -> ContainerIO {
        ContainerIO(writer: nil, outputStreams: terminal ? [.stdout] : outputs, rules: .exec(terminal: terminal))
    }

    /// A pipe for one output stream of an exec without a terminal; returns the end for the
    /// process. `startOutput` starts copying from it.
    func makeOutputPipe(_ stream: LogStream) throws(SystemError) -> FileDescriptor {
        let pipe = try FileDescriptor.pipe()
        state.withLock { $0.unstarted[stream] = pipe.read }
        return pipe.write
    }

    /// The pipe an exec without a terminal reads its stdin from; returns the end for the process.
    func makeStdinPipe() throws(SystemError) -> FileDescriptor {
        let pipe = try FileDescriptor.pipe()
        state.withLock { s in
            s.stdin = pipe.write
            s.stdinOpen = true
        }
        return pipe.read
    }

    /// Takes the pty master; `startOutput` starts copying from it.
    func receiveTerminal(_ master: FileDescriptor, stdin: Bool) {
        state.withLock { s in
            s.unstarted[.stdout] = master
            s.terminal = Self.duplicate(master)
            s.stdinOpen = stdin
        }
    }

    func startOutput() throws(SystemError) {
        var sources = state.withLock { s in
            defer { s.unstarted = [:] }
            return s.unstarted.sorted { $0.key.description < $1.key.description }[...]
        }
        while let (stream, fd) = sources.popFirst() {
            do {
                try startPump(fd, stream)
            } catch {
                sources.forEach { $0.value.close() }
                throw error
            }
        }
    }

    private func startPump(_ fd: FileDescriptor, _ stream: LogStream) throws(SystemError) {
        let parked = state.withLock { s in
            s.openStreams += 1
            s.startedStreams.insert(stream)
            return s.parked.removeValue(forKey: stream) ?? []
        }
        do {
            let pump = try Pump(reading: fd, stream: stream, into: writer, outlets: parked) { [weak self] in
                self?.streamEnded()
            }
            state.withLock { $0.pumps[stream] = pump }
        } catch {
            state.withLock { $0.openStreams -= 1 }
            parked.forEach { $0.close() }
            throw error
        }
    }

    private func streamEnded() {
        let allEnded = state.withLock { s -> Bool in
            s.openStreams -= 1
            return s.openStreams <= 0
        }
        if allEnded { drained.open() }
    }

    /// Returns once every output stream reached end of file and went to the log and to the
    /// clients, or after `timeout`: a process that left a child holding the pipe (or a client
    /// that stopped reading) must not hold up its exit report forever.
    func waitDrained(timeout: Duration) async {
        if state.withLock({ $0.openStreams <= 0 }) { return }
        await drained.wait(timeout: timeout)
    }

    // MARK: clients

    /// Attaches a client, taking ownership of its descriptors: `stdout` and `stderr` get a copy
    /// of what the process writes from now on, and `stdin` is copied into the process's stdin
    /// (or read and dropped when it has none). A stream the process does not have (stderr on a
    /// terminal) is closed at once.
    func attach(stdin: FileDescriptor?, stdout: FileDescriptor?, stderr: FileDescriptor?,
                backpressure: Outlet.Backpressure) throws(SystemError) {
        let id = state.withLock { s in
            s.nextClient += 1
            return s.nextClient
        }
        var unopened = [(LogStream.stdout, stdout), (.stderr, stderr)]
        var outputs: [(LogStream, Outlet)] = []
        do {
            while let (stream, fd) = unopened.first {
                unopened.removeFirst()
                guard let fd else { continue }
                outputs.append((stream, try Outlet(fd, backpressure: backpressure) { [weak self] ending in
                    self?.outputEnded(id, ending)
                }))
            }
        } catch {
            unopened.compactMap(\.1).forEach { $0.close() }
            outputs.forEach { $0.1.close() }
            stdin?.close()
            throw error
        }
        var input: Outlet?
        if stdin != nil, let fd = state.withLock({ s in s.stdinOpen ? (s.terminal ?? s.stdin).flatMap(Self.duplicate) : nil }) {
            input = try? Outlet(fd, backpressure: .holdSource)
        }

        let registered = state.withLock { s -> (now: [(Pump, Outlet)], unused: [Outlet])? in
            guard !s.closed else { return nil }
            var client = Client(outputs: outputs.map(\.1), input: input, relayRunning: stdin != nil)
            var now: [(Pump, Outlet)] = []
            var unused: [Outlet] = []
            for (stream, outlet) in outputs {
                if let pump = s.pumps[stream] {
                    now.append((pump, outlet))
                } else if outputStreams.contains(stream) && !s.startedStreams.contains(stream) {
                    s.parked[stream, default: []].append(outlet)
                } else {
                    unused.append(outlet)
                    continue
                }
                client.openOutputs += 1
            }
            s.clients[id] = client
            return (now, unused)
        }
        guard let registered else {
            outputs.forEach { $0.1.close() }
            input?.close()
            stdin?.close()
            throw SystemError("attach", "stdio of a removed process", errno: EBADF)
        }
        registered.unused.forEach { $0.close() }
        // Outside the lock: a pump that already ended finishes the outlet, which calls back.
        for (pump, outlet) in registered.now { pump.add(outlet) }

        guard let stdin else { return }
        do {
            let relay = try Pump(reading: stdin, outlets: input.map { [$0] } ?? []) { [weak self] in
                self?.inputEnded(id)
            }
            let detached = state.withLock { s -> Bool in
                s.clients[id]?.relay = relay
                return s.clients[id]?.detached ?? false
            }
            if detached { relay.cancel() }
        } catch {
            input?.close()
            inputEnded(id)
        }
    }

    private func outputEnded(_ id: Int, _ ending: Outlet.Ending) {
        let (others, relay) = state.withLock { s -> ([Outlet], Pump?) in
            guard var client = s.clients[id] else { return ([], nil) }
            client.openOutputs -= 1
            var others: [Outlet] = []
            var relay: Pump?
            if case .broken = ending, !client.detached {
                // The daemon stopped reading: the client has gone.
                client.detached = true
                others = client.outputs
                relay = client.relay
            }
            s.clients[id] = client.isDone ? nil : client
            return (others, relay)
        }
        others.forEach { $0.close() }
        relay?.cancel()
    }

    private func inputEnded(_ id: Int) {
        let outputs = state.withLock { s -> [Outlet] in
            guard var client = s.clients[id] else { return [] }
            client.relayRunning = false
            var outputs: [Outlet] = []
            if rules.detachesOutput && !client.detached {
                client.detached = true
                outputs = client.outputs
            }
            s.clients[id] = client.isDone ? nil : client
            return outputs
        }
        outputs.forEach { $0.close() }
        if rules.closesStdin { closeStdin() }
    }

    /// Ends every client (the process exited): their output FIFOs close, so the daemon's reads
    /// see end of file, and their relays stop.
    func detachAll() {
        let (outlets, relays) = state.withLock { s -> ([Outlet], [Pump]) in
            var outlets: [Outlet] = s.parked.values.flatMap { $0 }
            var relays: [Pump] = []
            s.parked = [:]
            for (id, var client) in s.clients {
                client.detached = true
                outlets += client.outputs
                if let relay = client.relay { relays.append(relay) }
                s.clients[id] = client.isDone ? nil : client
            }
            return (outlets, relays)
        }
        outlets.forEach { $0.close() }
        relays.forEach { $0.cancel() }
    }

    // MARK: stdin and the terminal

    /// End of file on the process's stdin: its pipe closes (with every client's duplicate), or,
    /// as a terminal has no stdin of its own, ^D goes to the pty after what clients sent.
    func closeStdin() {
        let inputs = state.withLock { s -> [Outlet]? in
            guard s.stdinOpen else { return nil }
            s.stdinOpen = false
            s.stdin?.close()
            s.stdin = nil
            return s.clients.values.compactMap(\.input)
        }
        guard let inputs else { return }
        inputs.forEach { $0.close() }
        state.withLock { s in
            if let terminal = s.terminal { try? terminal.writeAll([4]) }
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
        detachAll()
        let pumps = state.withLock { s -> [Pump] in
            s.closed = true
            s.stdinOpen = false
            s.stdin?.close()
            s.stdin = nil
            s.terminal?.close()
            s.terminal = nil
            s.unstarted.values.forEach { $0.close() }
            s.unstarted = [:]
            return Array(s.pumps.values)
        }
        pumps.forEach { $0.cancel() }
        writer?.close()
    }

    private static func duplicate(_ fd: FileDescriptor) -> FileDescriptor? {
        let copy = fcntl(fd.rawValue, F_DUPFD_CLOEXEC, 0)
        return copy >= 0 ? FileDescriptor(rawValue: copy) : nil
    }
}
