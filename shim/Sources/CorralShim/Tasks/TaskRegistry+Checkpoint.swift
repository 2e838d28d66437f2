import CorralSystem
import ShimAPI
import TTRPC

/// Checkpoint: a running container's processes dumped by CRIU through the runtime, with its
/// files, spec and log, into one archive; the container runs on.
extension TaskRegistry {
    func checkpoint(_ request: Corral_Shim_V1_CheckpointTaskRequest) async throws(RPCError) -> Corral_Shim_V1_CheckpointTaskResponse {
        guard request.location.hasPrefix("/") else {
            throw RPCError(.invalidArgument, "location \"\(request.location)\" of the checkpoint of \(request.id) is not an absolute path")
        }
        let directory = FileSystem.parent(of: request.location)
        // A directory that cannot even be looked at is no place to write the archive either.
        guard (try? FileSystem.status(directory))?.kind == .directory else {
            throw RPCError(.invalidArgument, "location \"\(request.location)\" of the checkpoint of \(request.id): \(directory) is not a directory")
        }
        let record = try record(request.id)
        guard record.status == .running else {
            throw RPCError(.failedPrecondition, "task \(record.id) is \(record.status), not running: only a running container can be checkpointed")
        }
        guard !checkpointing.contains(record.id) else {
            throw RPCError(.failedPrecondition, "task \(record.id) is already being checkpointed")
        }
        checkpointing.insert(record.id)
        defer { checkpointing.remove(record.id) }
        let criu = try await CRIU.usable(request.criuPath, checkpointing: record.id, waiter: shim.reaper.childWaiter)

        let scratch = taskDir(record.key) + "/checkpoint"
        FileSystem.removeTree(scratch)
        defer { FileSystem.removeTree(scratch) }
        var archive = CheckpointArchive(images: scratch + "/images")
        do {
            try FileSystem.makeDirectories(archive.images, mode: 0o700)
            try FileSystem.makeDirectories(scratch + "/work", mode: 0o700)
            archive.contents = [("config.dump", Array(request.configDump)),
                                ("spec.dump", try FileSystem.readFile(record.bundle + "/config.json", limit: 16 << 20))]
        } catch {
            throw RPCError(.internal, "preparing the checkpoint of \(record.id): \(error)")
        }
        let deleted = try await dumpPaused(record, criu: criu, upper: request.upperDir, scratch: scratch)
        if !deleted.isEmpty { archive.contents.append(("deleted.files", deleted)) }
        archive.files = [("dump.log", scratch + "/work/dump.log", true), ("stats-dump", scratch + "/work/stats-dump", true),
                         ("rootfs-diff.tar", scratch + "/rootfs-diff.tar", request.upperDir.isEmpty)]
        if !record.logPath.isEmpty { archive.files.append(("container.log", record.logPath, true)) }

        let location = request.location
        let written = await BlockingWork.run { [archive] in
            Result { () throws(SystemError) in try archive.writeTemporary(beside: location) }
        }
        do {
            let temporary = try written.get()
            // The daemon answered DEADLINE_EXCEEDED when its deadline passed, and the archive
            // must not turn up after that answer.
            guard !Task.isCancelled else {
                FileSystem.remove(temporary)
                throw RPCError(.deadlineExceeded, "the checkpoint of \(record.id) was given up before it was written")
            }
            try CheckpointArchive.commit(temporary, to: location)
        } catch let error as SystemError {
            throw RPCError(.internal, "writing the checkpoint of \(record.id) to \(location): \(error)")
        } catch {
            throw RPCError(from: error, doing: "writing the checkpoint of \(record.id)")
        }
        shim.log(.info, "checkpointed task \(record.id) to \(location)")
        return .init()
    }

    /// Pauses the container, has CRIU dump it into `scratch/images` and writes its rootfs diff,
    /// then resumes it whatever happened: as containerd and CRI-O do, so that the files match
    /// the processes. Answers `deleted.files` (empty when nothing was deleted).
    private func dumpPaused(_ record: TaskRecord, criu: String, upper: String, scratch: String) async throws(RPCError) -> [UInt8] {
        let runtime = runtime(of: record)
        do {
            try await runtime.pause(id: record.id)
        } catch {
            throw RPCError(.unknown, "pausing \(record.id) to checkpoint it: \(error)")
        }
        let outcome: Result<[UInt8], RPCError>
        do {
            try await runtime.checkpoint(id: record.id, imagePath: scratch + "/images", workPath: scratch + "/work", criu: criu)
            outcome = .success(try await Self.writeRootfsDiff(upper: upper, bundle: record.bundle, to: scratch + "/rootfs-diff.tar"))
        } catch let error as OCIRuntime.Failure {
            // CRIU may have failed before it wrote a log: runc's message is then all there is.
            let log = (try? FileSystem.readText(scratch + "/work/dump.log")).map { "; CRIU: " + CRIU.errors($0) } ?? ""
            outcome = .failure(RPCError(.unknown, "checkpointing \(record.id): \(error)\(log)"))
        } catch {
            outcome = .failure(RPCError(.internal, "recording the files of \(record.id): \(error)"))
        }
        do {
            try await runtime.resume(id: record.id)
        } catch {
            shim.log(.error, "resuming \(record.id) after its checkpoint failed: \(error)")
            throw RPCError(.internal, "resuming \(record.id) after its checkpoint: \(error)")
        }
        return try outcome.get()
    }

    /// `rootfs-diff.tar` from the overlay's upper dir; none without one.
    private static func writeRootfsDiff(upper: String, bundle: String, to path: String) async throws -> [UInt8] {
        guard !upper.isEmpty else { return [] }
        let excluded = try RootfsDiff.mountDestinations(ofBundle: bundle)
        let written = await BlockingWork.run { () -> Result<[UInt8], SystemError> in
            Result { () throws(SystemError) in
                var diff = RootfsDiff(upper: upper, excluded: excluded)
                try diff.write(toFile: path)
                return diff.deleted.isEmpty ? [] : diff.deletedFilesJSON
            }
        }
        return try written.get()
    }
}
