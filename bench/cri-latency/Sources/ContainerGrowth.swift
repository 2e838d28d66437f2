import BenchCRIClient
import BenchSupport

/// More containers in pods that already run, for a list that has to cover many.
enum ContainerGrowth {
    /// Adds containers round-robin to the running pods until `total` run; untimed.
    static func grow(_ pods: inout [BenchPod], to total: Int, fixtures: PodFixtures, session: CRISession) async throws {
        guard !pods.isEmpty else { return }
        var count = pods.reduce(0) { $0 + $1.containers.count }
        if count < total { BenchProgress.say("growing from \(count) to \(total) containers") }
        var next = 0
        while count < total {
            let index = next % pods.count
            let pod = pods[index]
            let id = try await session.connection().createContainer(pod: pod, fixtures.container(pod.containers.count))
            pods[index].containers.append(id)
            try await session.connection().startContainer(id)
            count += 1
            next += 1
            if count % 50 == 0 { BenchProgress.say("  \(count) containers") }
        }
    }
}
