import BenchSupport

/// The rounds of the bench over one runtime, or over two taking turns sample by sample: on a
/// shared machine the load moves within seconds, and runtimes measured one after the other
/// would each meet different neighbours. Who goes first alternates from round to round.
struct Schedule {
    var runs: Int
    var warmups: Int
    var transfers: Int
    var transferBytes: Int

    func run(_ runtimes: [RuntimeUnderTest]) async throws -> [StreamReport] {
        var execMs = [[Double]](repeating: [], count: runtimes.count)
        var execSyncMs = execMs
        var downloads = execMs
        var uploads = execMs

        BenchProgress.say("\(warmups) + \(runs) exec round trips (and as many ExecSyncs) on each runtime")
        try await phase(runtimes) {
            for round in 0..<(warmups + runs) {
                for k in order(round, runtimes.count) {
                    let ms = try await runtimes[k].execSample()
                    let syncMs = try await runtimes[k].execSyncSample()
                    if round >= warmups {
                        execMs[k].append(ms)
                        execSyncMs[k].append(syncMs)
                    }
                }
            }
        }

        BenchProgress.say("1 + \(transfers) port-forward transfers of \(transferBytes >> 20) MiB each way on each runtime")
        try await phase(runtimes) {
            for round in 0...transfers {
                for k in order(round, runtimes.count) {
                    let down = try await runtimes[k].download(bytes: transferBytes)
                    let up = try await runtimes[k].upload(bytes: transferBytes)
                    // Round 0 warms up: the first connection into a pod pays for what later ones find ready.
                    if round > 0 {
                        downloads[k].append(down)
                        uploads[k].append(up)
                    }
                }
            }
        }

        return runtimes.indices.map { k in
            StreamReport(name: runtimes[k].name, endpoint: runtimes[k].endpoint, runtime: runtimes[k].runtime,
                         transferBytes: transferBytes, execMs: execMs[k], execSyncMs: execSyncMs[k], downloadMiBps: downloads[k], uploadMiBps: uploads[k])
        }
    }

    private func phase(_ runtimes: [RuntimeUnderTest], _ body: () async throws -> Void) async throws {
        do {
            for runtime in runtimes { try runtime.beginPhase() }
            try await body()
        } catch {
            for runtime in runtimes { await runtime.endPhase() }
            throw error
        }
        for runtime in runtimes { await runtime.endPhase() }
    }

    private func order(_ round: Int, _ count: Int) -> [Int] {
        round % 2 == 0 ? Array(0..<count) : Array((0..<count).reversed())
    }
}
