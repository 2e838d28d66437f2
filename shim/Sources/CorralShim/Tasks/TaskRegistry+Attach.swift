import CorralSystem
import ShimAPI
import ShimIO
import TTRPC

/// Attaching a client to a running task's stdio.
extension TaskRegistry {
    /// How far an attached client may fall behind before it is dropped: the log never waits for it.
    static let attachBacklog = 256 << 10

    func attach(_ request: Corral_Shim_V1_AttachRequest) throws(RPCError) {
        let record = try record(request.id)
        guard record.status != .stopped else {
            throw RPCError(.failedPrecondition, "task \(request.id) has exited")
        }
        if request.tty && !record.terminal {
            throw RPCError(.failedPrecondition, "task \(request.id) has no terminal")
        }
        guard let io = ios[record.key] else {
            throw RPCError(.failedPrecondition, "task \(request.id) has no stdio to attach to")
        }
        var stdin: FileDescriptor?
        var stdout: FileDescriptor?
        var stderr: FileDescriptor?
        do {
            if !request.stdinPath.isEmpty { stdin = try StdioPath.openInput(request.stdinPath) }
            if !request.stdoutPath.isEmpty { stdout = try StdioPath.openOutput(request.stdoutPath, blocking: false) }
            // A terminal has one output stream, stdout.
            if !request.stderrPath.isEmpty && !record.terminal {
                stderr = try StdioPath.openOutput(request.stderrPath, blocking: false)
            }
        } catch {
            [stdin, stdout, stderr].compactMap { $0 }.forEach { $0.close() }
            throw RPCError(.invalidArgument, "attach to task \(request.id): \(error)")
        }
        do {
            try io.attach(stdin: stdin, stdout: stdout, stderr: stderr, backpressure: .dropBeyond(Self.attachBacklog))
        } catch {
            throw RPCError(.internal, "attach to task \(request.id): \(error)")
        }
        shim.log(.info, "attached to task \(request.id)\(stdin == nil ? "" : " with stdin")")
    }
}
