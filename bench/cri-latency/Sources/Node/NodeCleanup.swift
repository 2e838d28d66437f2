import BenchCRIClient
import BenchSupport

/// Removes every pod a run made: those it knows, and any other the runtime lists with the run's
/// labels (a RunPodSandbox that failed, or whose answer was lost, after the runtime made the pod).
struct NodeCleanup {
    var endpoint: String
    var fixtures: PodFixtures
    var clients: Int

    func removeAll(_ known: [BenchPod]) async {
        // Nothing in here throws: each failure is reported and the rest carries on.
        _ = try? await CRISession.withSessions(max(clients, 1), endpoint: endpoint) { sessions in
            var ids = known.map(\.id)
            do {
                let listed = try await sessions[0].connection().podSandboxes(labelled: fixtures.labels).map(\.id)
                ids += listed.filter { !ids.contains($0) }
            } catch {
                BenchProgress.say("warning: listing this run's pods failed (\(error)); removing the \(ids.count) known")
                await sessions[0].reset()
            }
            guard !ids.isEmpty else { return }
            BenchProgress.say("removing \(ids.count) pods")
            await withTaskGroup(of: Void.self) { group in
                for (client, session) in sessions.enumerated() {
                    let share = ids.enumerated().filter { $0.offset % sessions.count == client }.map(\.element)
                    group.addTask { await remove(share, session) }
                }
            }
            if let left = try? await sessions[0].connection().podSandboxes(labelled: fixtures.labels), !left.isEmpty {
                BenchProgress.say("warning: \(left.count) pods of this run are still listed")
            }
        }
    }

    private func remove(_ ids: [String], _ session: CRISession) async {
        for id in ids {
            do {
                try await session.connection().stopPodSandbox(id)
                try await session.connection().removePodSandbox(id)
            } catch {
                BenchProgress.say("warning: removing pod \(id): \(error)")
                // A broken connection should not fail the rest of this client's share.
                await session.reset()
            }
        }
    }
}
