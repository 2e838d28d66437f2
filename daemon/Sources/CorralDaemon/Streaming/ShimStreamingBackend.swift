import CRIAPI
import CorralStreaming
import CorralSystem
import Foundation
import Logging
import ShimAPI

/// Exec, attach and port-forward for the streaming server, on the pods' shims. The bytes of
/// exec and attach travel through FIFOs in the container's bundle (`io/`), which the shim opens
/// by path; port-forward (PodPortForward.swift) connects from a throwaway thread inside the
/// pod's network namespace.
struct ShimStreamingBackend: StreamingBackend {
    let service: CRIService

    func exec(containerID: String, command: [String], tty: Bool, io: StreamIO) async throws -> Int32 {
        let (container, handle) = try await service.runningContainer(containerID)
        let execID = "stream-" + String(CRIService.newID().prefix(16))
        let fifos = try StreamFIFOs(directory: container.bundle + "/io", name: execID, io: io, tty: tty)
        defer { fifos.remove() }
        let process = try service.execProcess(of: container, command: command, terminal: tty)
        _ = try await handle.call(TaskMethods.exec, .with {
            $0.id = container.id
            $0.execID = execID
            $0.terminal = tty
            $0.stdin = io.stdin != nil
            $0.spec = process
            $0.stdinPath = fifos.stdinPath
            $0.stdoutPath = fifos.stdoutPath
            $0.stderrPath = fifos.stderrPath
        })
        // Started apart from this task, so that a client leaving mid-start cannot cut the call
        // short on our side while the shim goes on to start the process.
        let started = Task { try await handle.call(TaskMethods.start, .with { $0.id = container.id; $0.execID = execID }) }
        return try await withTaskCancellationHandler {
            _ = try await started.value
            // Without a terminal, end of file on the FIFO is the process's, after every byte the
            // shim copies; CloseIO would close its stdin at once, dropping what the FIFO still held.
            // A terminal knows no end of file but the ^D that CloseIO types.
            var closeStdin: (@Sendable () async -> Void)?
            if tty {
                closeStdin = { [service] in
                    await service.bestEffort("closing an exec's terminal input", level: .debug, ["exec": "\(execID)"]) {
                        try await handle.call(TaskMethods.closeIO, .with { $0.id = container.id; $0.execID = execID; $0.stdin = true })
                    }
                }
            }
            // A resize can race the exec's end: failures are routine.
            let pumps = fifos.pump(io, closeStdin: closeStdin, resize: { [service] size in
                await service.bestEffort("resizing an exec's terminal", level: .debug, ["exec": "\(execID)"]) {
                    try await handle.call(TaskMethods.resizePty, .with {
                        $0.id = container.id
                        $0.execID = execID
                        $0.width = UInt32(size.width)
                        $0.height = UInt32(size.height)
                    })
                }
            })
            let exit = try await handle.call(TaskMethods.wait, .with { $0.id = container.id; $0.execID = execID },
                                             timeout: .seconds(365 * 24 * 3600))
            await pumps.outputs()
            pumps.cancel()
            // The client has its answer first; the shim forgets the exec right after.
            Task { [service] in
                await service.bestEffort("deleting a finished exec", ["exec": "\(execID)"]) {
                    try await handle.call(TaskMethods.delete, .with { $0.id = container.id; $0.execID = execID })
                }
            }
            return Int32(bitPattern: exit.exitStatus)
        } onCancel: {
            // The client went away: as containerd, the exec'ed process goes with it. Only once
            // its start is through, though: a kill that overtook it would find no process yet.
            // The shim deletes an exec only after its exit is recorded.
            Task { [service] in
                // An exec that never started has nothing to kill: its failure went to the client.
                guard (try? await started.value) != nil else { return }
                let exec: Logger.Metadata = ["exec": "\(execID)"]
                await service.bestEffort("killing the exec of a client that left", level: .debug, exec) {
                    try await handle.call(TaskMethods.kill, .with { $0.id = container.id; $0.execID = execID; $0.signal = 9 })
                }
                await service.bestEffort("waiting for the exec of a client that left", exec) {
                    try await handle.call(TaskMethods.wait, .with { $0.id = container.id; $0.execID = execID })
                }
                await service.bestEffort("deleting the exec of a client that left", exec) {
                    try await handle.call(TaskMethods.delete, .with { $0.id = container.id; $0.execID = execID })
                }
            }
        }
    }

    func attach(containerID: String, tty: Bool, io: StreamIO) async throws {
        let (container, handle) = try await service.runningContainer(containerID)
        if io.stdin != nil, !container.config.stdin {
            throw CRIError.failedPrecondition("container \(container.id) was not created with stdin: nothing to attach stdin to")
        }
        let name = "attach-" + String(CRIService.newID().prefix(16))
        let fifos = try StreamFIFOs(directory: container.bundle + "/io", name: name, io: io, tty: tty)
        defer { fifos.remove() }
        _ = try await handle.call(TaskMethods.attach, .with {
            $0.id = container.id
            $0.tty = tty
            $0.stdinPath = fifos.stdinPath
            $0.stdoutPath = fifos.stdoutPath
            $0.stderrPath = fifos.stderrPath
        })
        let pumps = fifos.pump(io, closeStdin: nil, resize: { [service] size in
            await service.bestEffort("resizing a container's terminal", level: .debug, ["container": "\(container.id)"]) {
                try await handle.call(TaskMethods.resizePty, .with {
                    $0.id = container.id
                    $0.width = UInt32(size.width)
                    $0.height = UInt32(size.height)
                })
            }
        })
        // Attached until the container's output ends (it exited) or the client leaves.
        await withTaskCancellationHandler {
            await pumps.outputs()
        } onCancel: {
            fifos.closeOurEnds()
        }
        pumps.cancel()
    }
}

extension CRIService {
    /// A running container and its pod's shim, or the error the streaming client should see.
    func runningContainer(_ id: String) async throws(CRIError) -> (ContainerEntry, ShimHandle) {
        let container = try await registry.container(id)
        guard container.state == .containerRunning else {
            throw .failedPrecondition("container \(container.id) is not running")
        }
        guard let sandbox = await registry.existingSandbox(container.sandboxID) else {
            throw .notFound("pod sandbox \(container.sandboxID) of container \(container.id) not found")
        }
        return (container, try await shim(of: sandbox))
    }
}
