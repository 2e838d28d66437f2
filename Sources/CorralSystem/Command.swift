
#if canImport(Glibc)
import Glibc
#endif

/// What a finished command left behind.
public struct CommandResult: Sendable, Equatable {
    public var status: ExitStatus
    public var stdout: [UInt8]
    public var stderr: [UInt8]

    public var stdoutText: String { String(decoding: stdout, as: UTF8.self) }
    public var stderrText: String { String(decoding: stderr, as: UTF8.self) }
}

/// Runs a program to completion with stdin fed and stdout/stderr captured.
///
/// Who collects the exit status is the caller's choice: a process with a reaper (the shim)
/// passes the reaper's wait, so the status is never taken twice; anything else gets a plain
/// waitpid. Blocking reads and writes happen on Dispatch threads, never on the cooperative pool.
public enum Command {
    public typealias Waiter = @Sendable (pid_t) async -> ExitStatus

    /// waitpid on a thread of its own: for processes that run no reaper.
    public static let blockingWait: Waiter = { pid in
        await BlockingWork.run { (try? ProcessControl.wait(for: pid)) ?? .exited(-1) }
    }

    public static func run(_ path: String, arguments: [String], environment: [String]? = nil,
                           stdin: [UInt8] = [], outputLimit: Int = 16 << 20,
                           waiter: Waiter = blockingWait) async throws(SystemError) -> CommandResult {
        let input = try FileDescriptor.pipe()
        let output: (read: FileDescriptor, write: FileDescriptor)
        let errors: (read: FileDescriptor, write: FileDescriptor)
        do {
            output = try FileDescriptor.pipe()
        } catch {
            input.read.close(); input.write.close()
            throw error
        }
        do {
            errors = try FileDescriptor.pipe()
        } catch {
            [input.read, input.write, output.read, output.write].forEach { $0.close() }
            throw error
        }
        let pid: pid_t
        do {
            pid = try Spawn.run(path, arguments: [path] + arguments, environment: environment,
                                stdio: .init(stdin: input.read, stdout: output.write, stderr: errors.write))
        } catch {
            [input.read, input.write, output.read, output.write, errors.read, errors.write].forEach { $0.close() }
            throw error
        }
        input.read.close()
        output.write.close()
        errors.write.close()

        async let feeder: Void = onThread {
            try? input.write.writeAll(stdin)
            input.write.close()
        }
        async let out = onThread { readAll(output.read, limit: outputLimit) }
        async let err = onThread { readAll(errors.read, limit: outputLimit) }
        let status = await waiter(pid)
        let result = CommandResult(status: status, stdout: await out, stderr: await err)
        await feeder
        output.read.close()
        errors.read.close()
        return result
    }

    /// Reads to end of file, keeping at most `limit` bytes but draining the rest so the
    /// writer never blocks on a full pipe.
    static func readAll(_ fd: FileDescriptor, limit: Int) -> [UInt8] {
        var bytes: [UInt8] = []
        while let chunk = try? fd.read(upTo: 65536), !chunk.isEmpty {
            if bytes.count < limit { bytes += chunk.prefix(limit - bytes.count) }
        }
        return bytes
    }

    private static func onThread<T: Sendable>(_ body: @escaping @Sendable () -> T) async -> T {
        await BlockingWork.run(body)
    }
}
