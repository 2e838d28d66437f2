import CorralSystem
import ShimAPI
import TTRPC

#if canImport(Glibc)
import Glibc
#endif

/// Signals, Delete, and winding every task down when the pod stops.
extension TaskRegistry {
    func kill(_ request: Corral_Shim_V1_KillTaskRequest) async throws(RPCError) {
        let record = try record(request.id, request.execID)
        guard record.status != .stopped else { return }  // already ended: nothing to signal
        let signal = request.signal == 0 ? SIGKILL : Int32(request.signal)
        if record.execID.isEmpty {
            do {
                try await inTurn(record) { try await $0.kill(id: record.id, signal: signal, all: request.all) }
            } catch {
                // It may have exited between the check and the call.
                if records[record.key]?.status == .stopped { return }
                throw RPCError(.unknown, "\(error)")
            }
        } else if record.pid > 0 {
            Glibc.kill(record.pid, signal)
        }
    }

    func delete(_ request: Corral_Shim_V1_DeleteTaskRequest) async throws(RPCError) -> Corral_Shim_V1_DeleteTaskResponse {
        let record = try record(request.id, request.execID)
        guard record.status != .running else {
            throw RPCError(.failedPrecondition, "\(record.key) is running; kill it before deleting it")
        }
        if record.execID.isEmpty {
            // Execs go with their container.
            for exec in records.values where exec.id == record.id && !exec.execID.isEmpty {
                if exec.status == .running, exec.pid > 0 { Glibc.kill(exec.pid, SIGKILL) }
                forget(exec.key)
            }
            if let release = releases.removeValue(forKey: record.id) {
                await release.value
            } else {
                await releaseRuntime(record.id, force: record.status == .created)
            }
            await oomWatches.removeValue(forKey: record.id)?.value.stop()
        }
        forget(record.key)
        shim.events.publish(topic: "/tasks/delete") {
            $0.taskDelete = .with {
                $0.containerID = record.id
                $0.execID = record.execID
                $0.pid = UInt32(record.pid)
                $0.exitStatus = record.exit?.status ?? 0
                if let exit = record.exit { $0.exitedAt = .init(wallNanos: exit.exitedAtWallNanos) }
            }
        }
        var response = Corral_Shim_V1_DeleteTaskResponse()
        response.pid = UInt32(record.pid)
        response.exitStatus = record.exit?.status ?? 0
        if let exit = record.exit { response.exitedAt = .init(wallNanos: exit.exitedAtWallNanos) }
        return response
    }

    func forget(_ key: TaskKey) {
        pendingExecs.removeValue(forKey: key)
        ios.removeValue(forKey: key)?.close()
        exits.removeValue(forKey: key)?.open()
        records.removeValue(forKey: key)
        if key.execID.isEmpty {
            execContainers.removeValue(forKey: key.id)
            containerCgroups.removeValue(forKey: key.id)
            turns.forget(key.id)
        }
        FileSystem.removeTree(taskDir(key))
    }

    /// SIGTERM to every container, SIGKILL to those still up after `grace` (at once when it is zero).
    func stopAll(grace: Duration) async {
        let running = records.values.filter { $0.execID.isEmpty && $0.status != .stopped }
        for record in running {
            let signal = record.status == .created || grace <= .zero ? SIGKILL : SIGTERM
            try? await kill(.with { $0.id = record.id; $0.signal = UInt32(signal); $0.all = true })
        }
        for record in running {
            if record.status == .created || grace <= .zero {
                // Killed already: a second kill would only freeze a cgroup that is emptying.
                _ = await exits[record.key]?.wait(timeout: .seconds(5))
            } else if let latch = exits[record.key], await !latch.wait(timeout: grace) {
                try? await kill(.with { $0.id = record.id; $0.signal = UInt32(SIGKILL); $0.all = true })
                await latch.wait(timeout: .seconds(5))
            }
        }
    }

    /// Force-removes every task (for shutdown).
    func removeAll() async {
        await stopAll(grace: .zero)
        for record in records.values where record.execID.isEmpty {
            _ = try? await delete(.with { $0.id = record.id })
        }
    }
}
