import CorralSystem
import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// The daemon's side of an exec's or an attach's stdio, as corrald does it: it makes the FIFOs,
/// opens the reading ends of stdout and stderr (non-blocking, before the call) and the writing
/// end of stdin (read-write, so the open never waits), and reads only after the shim answered.
final class ClientFIFOs: Sendable {
    enum Stream: Sendable { case stdout, stderr }

    let stdinPath: String
    let stdoutPath: String
    let stderrPath: String
    private struct Ends {
        var stdin: FileDescriptor?
        var stdout: FileDescriptor?
        var stderr: FileDescriptor?
        var received: [Stream: [UInt8]] = [:]
        var ended: Set<Stream> = []
    }
    private let ends = Mutex(Ends())

    init(_ dir: String, stdin: Bool = true, stdout: Bool = true, stderr: Bool = false) throws {
        try FileSystem.makeDirectories(dir, mode: 0o700)
        stdinPath = stdin ? dir + "/stdin" : ""
        stdoutPath = stdout ? dir + "/stdout" : ""
        stderrPath = stderr ? dir + "/stderr" : ""
        var made = Ends()
        for path in [stdinPath, stdoutPath, stderrPath] where !path.isEmpty {
            guard mkfifo(path, 0o600) == 0 else { throw HarnessError("mkfifo \(path): \(errno)") }
        }
        if stdin { made.stdin = try FileDescriptor.open(stdinPath, O_RDWR) }
        if stdout { made.stdout = try FileDescriptor.open(stdoutPath, O_RDONLY | O_NONBLOCK) }
        if stderr { made.stderr = try FileDescriptor.open(stderrPath, O_RDONLY | O_NONBLOCK) }
        let opened = made
        ends.withLock { $0 = opened }
    }

    func send(_ text: String) throws {
        guard let fd = ends.withLock({ $0.stdin }) else { throw HarnessError("stdin is closed") }
        try fd.writeAll(text)
    }

    /// What `stream` delivered so far, once it contains `marker` or reached end of file, or when
    /// `timeout` passed.
    func read(_ stream: Stream, until marker: String? = nil, timeout: Duration = .seconds(10)) async -> String {
        await BlockingWork.run { [self] in
            let deadline = ContinuousClock.now + timeout
            while ContinuousClock.now < deadline {
                let (text, ended) = ends.withLock { e in (String(decoding: e.received[stream] ?? [], as: UTF8.self), e.ended.contains(stream)) }
                if ended || marker.map({ text.contains($0) }) == true { break }
                pollOnce(stream)
            }
            return ends.withLock { String(decoding: $0.received[stream] ?? [], as: UTF8.self) }
        }
    }

    /// Reads `stream` to its end of file; true if it came before `timeout`.
    func readToEnd(_ stream: Stream, timeout: Duration = .seconds(10)) async -> Bool {
        _ = await read(stream, until: nil, timeout: timeout)
        return ends.withLock { $0.ended.contains(stream) }
    }

    private func pollOnce(_ stream: Stream) {
        guard let fd = ends.withLock({ stream == .stdout ? $0.stdout : $0.stderr }) else { return }
        var poller = pollfd(fd: fd.rawValue, events: Int16(POLLIN), revents: 0)
        guard poll(&poller, 1, 50) > 0 else { return }
        var buffer = [UInt8](repeating: 0, count: 65536)
        let n = buffer.withUnsafeMutableBytes { Glibc.read(fd.rawValue, $0.baseAddress, $0.count) }
        ends.withLock { e in
            if n > 0 {
                e.received[stream, default: []] += buffer[0..<n]
            } else if n == 0 {
                e.ended.insert(stream)
            }
        }
    }

    func closeStdin() {
        ends.withLock { e in
            e.stdin?.close()
            e.stdin = nil
        }
    }

    func closeOutputs() {
        ends.withLock { e in
            e.stdout?.close()
            e.stdout = nil
            e.stderr?.close()
            e.stderr = nil
        }
    }

    func closeAll() {
        closeStdin()
        closeOutputs()
    }
}

/// What a process holds: its open descriptors and its child processes.
struct ProcessHoldings: Equatable, CustomStringConvertible {
    var fds: [String]
    var children: [String]

    static func of(_ pid: Int32) -> ProcessHoldings {
        let fds = ((try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/fd")) ?? []).map { fd in
            fd + " -> " + ((try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/fd/\(fd)")) ?? "?")
        }
        var children: [String] = []
        for task in (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/task")) ?? [] {
            let list = (try? String(contentsOfFile: "/proc/\(pid)/task/\(task)/children", encoding: .utf8)) ?? ""
            children += list.split(separator: " ").map(String.init)
        }
        return ProcessHoldings(fds: fds.sorted(), children: children.sorted())
    }

    /// Waits up to `timeout` for the holdings of `pid` to equal `expected`; returns the last seen.
    static func settle(_ pid: Int32, to expected: ProcessHoldings, timeout: Duration = .seconds(5)) async -> ProcessHoldings {
        let deadline = ContinuousClock.now + timeout
        var seen = of(pid)
        while seen != expected && ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(50))
            seen = of(pid)
        }
        return seen
    }

    var description: String { "\(fds.count) fds \(fds), children \(children)" }
}
