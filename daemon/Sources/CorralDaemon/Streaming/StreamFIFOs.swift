import CorralStreaming
import CorralSystem
import Foundation

/// The FIFOs of one exec or attach: made by the daemon, opened by the shim by path. Our
/// reading ends are opened before the shim's call (non-blocking, so the open does not wait)
/// and read only after it answers, when the shim holds the writing ends.
struct StreamFIFOs: Sendable {
    let stdinPath: String
    let stdoutPath: String
    let stderrPath: String
    private let stdin: FileDescriptor?
    private let stdout: FileDescriptor?
    private let stderr: FileDescriptor?

    init(directory: String, name: String, io: StreamIO, tty: Bool) throws(CRIError) {
        do { try FileSystem.makeDirectories(directory, mode: 0o700) } catch {
            throw .internalError("creating \(directory): \(error)")
        }
        let base = directory + "/" + name
        stdinPath = io.stdin != nil ? base + ".in" : ""
        stdoutPath = io.stdout != nil ? base + ".out" : ""
        stderrPath = io.stderr != nil && !tty ? base + ".err" : ""
        var opened: [FileDescriptor] = []
        do {
            for path in [stdinPath, stdoutPath, stderrPath] where !path.isEmpty { try FDStreams.makeFIFO(path) }
            stdin = stdinPath.isEmpty ? nil : try FDStreams.openForWriting(stdinPath)
            if let stdin { opened.append(stdin) }
            stdout = stdoutPath.isEmpty ? nil : try FDStreams.openForReading(stdoutPath)
            if let stdout { opened.append(stdout) }
            stderr = stderrPath.isEmpty ? nil : try FDStreams.openForReading(stderrPath)
        } catch {
            opened.forEach { $0.close() }
            for path in [base + ".in", base + ".out", base + ".err"] { FileSystem.remove(path) }
            throw error
        }
    }

    struct Pumps: Sendable {
        let output: Task<Void, Never>
        let input: Task<Void, Never>

        /// Waits until stdout and stderr reached EOF (the process ended, or the shim detached).
        func outputs() async { await output.value }

        func cancel() {
            input.cancel()
            output.cancel()
        }
    }

    /// Copies stdout/stderr to the client, the client's stdin and resizes to the shim. When the
    /// client's stdin ends, our end of its FIFO closes; `closeStdin`, if given, runs after that,
    /// once the shim has read the FIFO dry, so that what it does comes after every byte sent.
    func pump(_ io: StreamIO, closeStdin: (@Sendable () async -> Void)?,
              resize: @escaping @Sendable (TerminalSize) async -> Void) -> Pumps {
        let (stdout, stderr, stdin) = (self.stdout, self.stderr, self.stdin)
        let output = Task {
            await withTaskGroup(of: Void.self) { group in
                for (fd, writer) in [(stdout, io.stdout), (stderr, io.stderr)] {
                    guard let fd else { continue }
                    group.addTask {
                        for await chunk in FDStreams.chunks(of: fd) {
                            do { try await writer?.write(chunk) } catch { break }
                        }
                    }
                }
            }
        }
        let input = Task {
            await withTaskGroup(of: Void.self) { group in
                if let stdin, let source = io.stdin {
                    group.addTask {
                        for await chunk in source {
                            // A write that fails means the process closed its stdin: the relay stops, as with kubelet.
                            let written = await BlockingWork.run { (try? stdin.writeAll(chunk)) != nil }
                            if !written { break }
                        }
                        if let closeStdin {
                            await FDStreams.waitDrained(stdin)
                            stdin.close()
                            await closeStdin()
                        } else {
                            stdin.close()
                        }
                    }
                }
                if let sizes = io.resize {
                    group.addTask {
                        for await size in sizes { await resize(size) }
                    }
                }
            }
        }
        return Pumps(output: output, input: input)
    }

    /// The client left: EOF on stdin detaches the shim's copy of it; our output readers close
    /// their ends when they next get data and find no one to give it to (EPIPE for the shim).
    func closeOurEnds() {
        stdin?.close()
    }

    func remove() {
        for path in [stdinPath, stdoutPath, stderrPath] where !path.isEmpty { FileSystem.remove(path) }
    }
}
