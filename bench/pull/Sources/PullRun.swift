import BenchCRIClient
import BenchSupport
import Foundation

/// One cold run of a case against one runtime: the case's images removed first, then every
/// request of the case sent at once and timed until the last one returns, with the server's
/// CPU time and peak resident set over that span and the registry's blob downloads.
struct PullRun {
    var pullCase: PullCase
    var runtime: PullRuntime
    var registryLog: RegistryLog?

    func measure() async throws -> PullReport.Sample {
        let shared = try await runtime.session.connection()
        for image in pullCase.images {
            try await shared.removeImage(image.reference)
            if try await shared.imagePresent(image.reference) {
                throw BenchFailure("\(runtime.name) still has \(image.reference) after RemoveImage: the pull would not be cold")
            }
        }
        // Each client's connection is opened (and used once) before the clock starts.
        var connections: [CRIConnection] = []
        for (index, _) in pullCase.requests.enumerated() {
            connections.append(pullCase.connectionPerClient ? try await runtime.clientSessions[index].connection() : shared)
        }
        // A moment of quiet, so that the removal's own work is over before the idle reading.
        try await Task.sleep(for: .seconds(1))

        let pid = runtime.pid
        let idle = pid.flatMap(ServerMemory.residentKiB)
        let peakReset = pid.map(ServerMemory.resetPeak) ?? false
        let cpuBefore = pid.flatMap(CPUTime.micros)
        let logOffset = registryLog?.offset()
        let clock = ContinuousClock()
        let started = clock.now
        try await withThrowingTaskGroup(of: Void.self) { group in
            for (connection, reference) in zip(connections, pullCase.requests) {
                group.addTask { try await connection.pullImage(reference) }
            }
            try await group.waitForAll()
        }
        let elapsed = clock.now - started
        let cpuAfter = pid.flatMap(CPUTime.micros)
        let peak = pid.flatMap(ServerMemory.peakKiB)

        for image in pullCase.images where try await !shared.imagePresent(image.reference) {
            throw BenchFailure("\(runtime.name): PullImage of \(image.reference) returned, but ImageStatus does not find it")
        }
        var fetches: [String: Int]?
        if let registryLog, let logOffset {
            // The registry writes its access line once it has sent the body: give it a moment.
            try await Task.sleep(for: .milliseconds(300))
            fetches = try registryLog.blobFetches(since: logOffset, repositories: Set(pullCase.images.map(\.repository)))
        }
        let cpu = cpuBefore.flatMap { before in cpuAfter.map { Double($0 - before) / 1e6 } }
        return PullReport.Sample(milliseconds: Double(elapsed.components.seconds) * 1e3 + Double(elapsed.components.attoseconds) / 1e15,
                                 cpuSeconds: cpu, idleKiB: idle, peakKiB: peak, peakReset: peakReset, blobFetches: fetches)
    }
}
