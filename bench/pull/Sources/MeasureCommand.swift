import ArgumentParser
import BenchSupport
import Foundation

/// `corral-pull-bench [measure] --name containerd --endpoint unix:///… --server-pid N
///  --name corral --endpoint unix:///… --server-pid M`: each case's runs, the runtimes taking
/// turns run by run (the first of them first in odd runs, last in even ones), so that a change
/// in the machine's load falls on both alike. The first runtime named is the baseline.
struct MeasureCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "measure",
        abstract: "Time cold pulls of the bench's images on one or two runtimes, in turns.")

    @Option(help: "A runtime's name in the report; once per runtime, the baseline first.")
    var name: [String]

    @Option(help: "Its CRI endpoint, unix:///path/to.sock; once per runtime, in the same order.")
    var endpoint: [String]

    @Option(help: "Its pid, for CPU time and peak RSS; once per runtime, in the same order.")
    var serverPid: [Int32] = []

    @Option(help: "Cold pulls of each case per runtime (the median is reported).")
    var runs = 5

    @Option(help: "A case to run (a, b, c, d); repeat for several. All by default.")
    var `case`: [PullCase] = PullCase.allCases

    @Option(help: "The registry the images were pushed to (host:port), to read their sizes.")
    var registry = "127.0.0.1:5000"

    @Option(help: "The registry's log, to count blob downloads per pull.")
    var registryLog: String?

    @Option(help: "Write the report as JSON to this file.")
    var json: String?

    func validate() throws {
        guard !name.isEmpty, name.count == endpoint.count else {
            throw ValidationError("give --name and --endpoint once per runtime, in the same order")
        }
        guard serverPid.isEmpty || serverPid.count == name.count else {
            throw ValidationError("give --server-pid once per runtime or not at all")
        }
        guard runs >= 1 else { throw ValidationError("--runs must be at least 1") }
    }

    func run() async throws {
        let runtimes = name.indices.map { i in
            PullRuntime(name: name[i], endpoint: endpoint[i], pid: serverPid.isEmpty ? nil : serverPid[i],
                        clients: PullCase.allCases.map(\.clients).max() ?? 1)
        }
        let outcome: Result<PullReport, any Error>
        do {
            outcome = .success(try await measure(runtimes))
        } catch {
            outcome = .failure(error)
            // Nothing pulled stays behind a failed run either (a kept layer would make the next run warm).
            for pullCase in `case` { try? await Self.remove(pullCase, from: runtimes) }
        }
        for runtime in runtimes { await runtime.close() }
        let report = try outcome.get()
        if let json { try report.write(to: json) }
        print(PullTable.render(report))
    }

    private func measure(_ runtimes: [PullRuntime]) async throws -> PullReport {
        var described: [PullReport.Runtime] = []
        for runtime in runtimes {
            let version = try await runtime.session.connection().runtimeName()
            described.append(.init(name: runtime.name, endpoint: runtime.endpoint, version: version, pid: runtime.pid))
            BenchProgress.say("\(runtime.name): \(version) at \(runtime.endpoint)")
        }
        let log = registryLog.map(RegistryLog.init)
        var cases: [PullReport.Case] = []
        for pullCase in `case` {
            let pushed = try pullCase.images.map { try RegistryManifests.blobs(registry: registry, image: $0) }
            var result = PullReport.Case(
                pullCase: pullCase, images: pullCase.images.count, layers: pushed.reduce(0) { $0 + $1.layers },
                bytes: pushed.reduce(0) { $0 + $1.manifestBytes + $1.blobs.reduce(0) { $0 + $1.size } },
                blobs: pushed.flatMap { $0.blobs.map(\.digest) }, samples: [:], failures: [:])
            for run in 0..<runs {
                let order = run % 2 == 0 ? runtimes : runtimes.reversed()
                // A runtime whose pull failed sits out the case's other runs; the others go on.
                for runtime in order where result.failures[runtime.name] == nil {
                    let sample: PullReport.Sample
                    do {
                        sample = try await PullRun(pullCase: pullCase, runtime: runtime, registryLog: log).measure()
                    } catch {
                        BenchProgress.say("\(pullCase.title) run \(run + 1), \(runtime.name) failed: \(error)")
                        result.failures[runtime.name] = "run \(run + 1): \(error)"
                        await runtime.session.reset()
                        continue
                    }
                    result.samples[runtime.name, default: []].append(sample)
                    BenchProgress.say(String(format: "%@ run %d, %@: %.0f ms, CPU %@ s, peak RSS +%@ MiB", pullCase.title, run + 1,
                                             runtime.name, sample.milliseconds, sample.cpuSeconds.map { String(format: "%.2f", $0) } ?? "?",
                                             sample.peakAboveIdleKiB.map { String(format: "%.1f", Double($0) / 1024) } ?? "?"))
                }
            }
            try await Self.remove(pullCase, from: runtimes)
            cases.append(result)
        }
        return PullReport(runs: runs, runtimes: described, cases: cases)
    }

    /// The case's images go again, so that a 1 GB case leaves no disk taken behind it.
    private static func remove(_ pullCase: PullCase, from runtimes: [PullRuntime]) async throws {
        for runtime in runtimes {
            await runtime.session.reset()
            for image in pullCase.images { try await runtime.session.connection().removeImage(image.reference) }
        }
    }
}

extension PullCase: ExpressibleByArgument {}
