import CorralSystem
import ShimAPI
import ShimContract
import TTRPC

#if canImport(Glibc)
import Glibc
#endif

/// `corral-shim start`: find the pod's live shim or start one, print its bootstrap record (its
/// protocol version, address and pid, one JSON line), exit.
enum StartCommand {
    static let readyTimeoutMillis: Int32 = 10_000

    static func run(_ options: ShimOptions) async -> Int32 {
        let paths = ShimPaths(stateDir: options.stateDir, socketDir: options.socketDir)
        guard paths.socketPath.utf8.count <= UnixSocket.maxPathLength else {
            return fail("socket path \(paths.socketPath) is longer than \(UnixSocket.maxPathLength) bytes; use a shorter --socket-dir")
        }
        let lock: FileDescriptor
        do {
            try FileSystem.makeDirectories(options.stateDir, mode: 0o711)
            try FileSystem.makeDirectories(options.socketDir, mode: 0o700)
            // Two starts for one pod at once must not both spawn a shim.
            lock = try FileSystem.lockExclusively(paths.startLock)
        } catch {
            return fail("\(error)")
        }
        defer { lock.close() }

        if let live = await liveShim(paths) {
            print(live.line)
            return 0
        }
        FileSystem.remove(paths.socketPath)

        let stderrFile: FileDescriptor
        let pipe: (read: FileDescriptor, write: FileDescriptor)
        do {
            stderrFile = try FileDescriptor.open(paths.log, O_WRONLY | O_CREAT | O_APPEND, mode: 0o600)
            pipe = try FileDescriptor.pipe()
        } catch {
            return fail("\(error)")
        }
        let pid: Int32
        do {
            let executable = FileSystem.currentExecutable
            pid = try Spawn.run(executable, arguments: [executable] + options.serveArguments,
                                stdio: .init(stdin: nil, stdout: pipe.write, stderr: stderrFile), newSession: true)
        } catch {
            stderrFile.close()
            pipe.read.close()
            pipe.write.close()
            return fail("\(error)")
        }
        stderrFile.close()
        pipe.write.close()
        defer { pipe.read.close() }

        let line = readLine(from: pipe.read, timeoutMillis: readyTimeoutMillis)
        guard let address = line, address.hasPrefix("unix://") else {
            _ = kill(pid, SIGKILL)
            _ = try? ProcessControl.wait(for: pid)
            let tail = (try? FileSystem.readText(paths.log))?.split(separator: "\n").suffix(5).joined(separator: "\n") ?? ""
            return fail("shim for pod \(options.id) did not come up\(line == nil ? " within \(readyTimeoutMillis) ms" : ""); its log says:\n\(tail)")
        }
        print(Bootstrap(address: address, pid: pid).line)
        return 0
    }

    /// The record of a shim already serving this state dir, if one answers a ping.
    static func liveShim(_ paths: ShimPaths) async -> Bootstrap? {
        guard let bootstrap = Bootstrap.read(from: paths.bootstrap),
              ProcessControl.isAlive(bootstrap.pid),
              let client = try? Client.connect(bootstrap.address) else { return nil }
        defer { client.close() }
        guard (try? await client.call(DebugMethods.ping, .init(), timeout: .seconds(2))) != nil else { return nil }
        return bootstrap
    }

    private static func readLine(from fd: FileDescriptor, timeoutMillis: Int32) -> String? {
        var collected: [UInt8] = []
        let deadline = Clock.monotonicNanos + UInt64(timeoutMillis) * 1_000_000
        while Clock.monotonicNanos < deadline {
            var poller = pollfd(fd: fd.rawValue, events: Int16(POLLIN), revents: 0)
            let remaining = Int32((deadline - Clock.monotonicNanos) / 1_000_000)
            let ready = poll(&poller, 1, max(remaining, 1))
            if ready < 0 && errno == EINTR { continue }
            guard ready > 0, let chunk = try? fd.read(upTo: 512), !chunk.isEmpty else {
                return ready == 0 ? nil : String(decoding: collected, as: UTF8.self)
            }
            collected += chunk
            if let newline = collected.firstIndex(of: 10) {
                return String(decoding: collected[..<newline], as: UTF8.self)
            }
        }
        return nil
    }

    private static func fail(_ message: String) -> Int32 {
        try? FileDescriptor(rawValue: 2).writeAll("corral-shim start: \(message)\n")
        return 1
    }
}
