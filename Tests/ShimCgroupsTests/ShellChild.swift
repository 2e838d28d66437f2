import CorralSystem

#if canImport(Glibc)
import Glibc
#endif

/// A /bin/sh child the test steps through its script: it blocks on `read` until told to go,
/// so the test can move it into a cgroup first.
final class ShellChild: Sendable {
    let pid: pid_t
    private let input: FileDescriptor
    private let output: FileDescriptor

    init(_ script: String) throws {
        let stdin = try FileDescriptor.pipe()
        let stdout = try FileDescriptor.pipe()
        pid = try Spawn.run("/bin/sh", arguments: ["/bin/sh", "-c", script],
                            stdio: .init(stdin: stdin.read, stdout: stdout.write))
        stdin.read.close()
        stdout.write.close()
        input = stdin.write
        output = stdout.read
    }

    func send(_ line: String) throws {
        try input.writeAll(line + "\n")
    }

    /// The next line the script prints; empty at end of file.
    func readLine() async -> String {
        let output = output
        return await offPool {
            var line: [UInt8] = []
            while let byte = try? output.read(upTo: 1).first, byte != UInt8(ascii: "\n") { line.append(byte) }
            return String(decoding: line, as: UTF8.self)
        }
    }

    func wait() async -> ExitStatus {
        let status = await ChildWaiter.blocking.wait(pid, 0)
        input.close()
        output.close()
        return status
    }

    /// For cleanup after a failed test: kill and reap, whatever state the child is in.
    func killAndReap() {
        guard kill(pid, SIGKILL) == 0 else { return }
        var status: Int32 = 0
        _ = waitpid(pid, &status, 0)
        input.close()
        output.close()
    }
}
