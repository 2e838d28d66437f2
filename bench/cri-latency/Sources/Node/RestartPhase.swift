import BenchCRIClient
import BenchSupport
import Foundation

/// kill -9 of the daemon with every pod running, then the daemon started again the way the run
/// started it (`command`, through /bin/sh, not waited for); timed from the kill until the
/// runtime lists every pod ready and every container running, and an ExecSync into the last
/// pod answers.
struct RestartPhase {
    var endpoint: String
    var command: String
    var pidFile: String
    var fixtures: PodFixtures
    var pods: [BenchPod]

    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    /// How long the daemon may take to be back; the bench fails after that.
    private static let patience = Duration.seconds(120)

    func run() async throws -> NodeReport.Restart {
        guard let pid = ServerPIDFile.read(pidFile) else { throw Failure(description: "no pid in \(pidFile)") }
        guard let last = pods.last?.containers.first else { throw Failure(description: "no container to exec into") }
        let clock = ContinuousClock()
        var start = clock.now
        let deadline = start + Self.patience
        func seconds() -> Double { SampleBook.milliseconds(clock.now - start) / 1000 }
        guard kill(pid, SIGKILL) == 0 else { throw Failure(description: "kill -9 \(pid): errno \(errno)") }
        // Dead means gone or a zombie: its socket is closed either way.
        while let stat = ProcessStat(pid: pid), stat.state != "Z" {
            try await Task.sleep(for: .milliseconds(1))
        }
        let gone = seconds()
        // A start script that finds the pid alive (the lab's start-containerd.sh) does nothing, and
        // a daemon whose parent has gone is reaped by init, here only every second or two. That wait
        // is the machine's, not the runtime's: it is left out of the times that follow.
        let zombie = clock.now
        while ProcessStat(pid: pid) != nil, clock.now < zombie + .seconds(10) {
            try await Task.sleep(for: .milliseconds(2))
        }
        let reapWait = clock.now - zombie
        start += reapWait
        let restart = try ShellCommand(command)
        while !UnixSocketProbe.accepts(socketPath) {
            guard clock.now < deadline else { throw Failure(description: "nothing accepts on \(socketPath) after the restart") }
            try await Task.sleep(for: .milliseconds(2))
        }
        let accepting = seconds()
        var listed: Double?
        let session = CRISession(endpoint: endpoint, coalesceFlushes: false)
        var lastError = ""
        while true {
            guard clock.now < deadline else {
                await session.reset()
                throw Failure(description: "not reconciled \(Self.patience) after the kill: \(lastError)")
            }
            do {
                if listed == nil, try await everythingListed(session) { listed = seconds() }
                if listed != nil, try await session.connection().execSync(last, ["true"]) == 0 { break }
                lastError = listed == nil ? "not every pod and container listed yet" : "ExecSync `true` did not exit 0"
            } catch {
                // Not up yet, or the connection broke: the next round starts on a fresh one.
                lastError = "\(error)"
                await session.reset()
            }
            try await Task.sleep(for: .milliseconds(5))
        }
        let reconciled = seconds()
        await session.reset()
        // The command's exit status, when it is there (the lab's script waits for containerd to answer).
        var exit = restart.exitStatus()
        while exit == nil, clock.now < deadline {
            try await Task.sleep(for: .milliseconds(20))
            exit = restart.exitStatus()
        }
        if exit != 0 { BenchProgress.say("the restart command \(exit.map { "exited \($0)" } ?? "did not end"): \(command)") }
        return NodeReport.Restart(goneSeconds: gone, reapWaitSeconds: SampleBook.milliseconds(reapWait) / 1000,
                                  acceptingSeconds: accepting,
                                  listedSeconds: listed ?? reconciled, reconciledSeconds: reconciled)
    }

    private var socketPath: String {
        endpoint.hasPrefix("unix://") ? String(endpoint.dropFirst("unix://".count)) : endpoint
    }

    /// Every pod of the run listed ready, every container running.
    private func everythingListed(_ session: CRISession) async throws -> Bool {
        let listedPods = try await session.connection().podSandboxes(labelled: fixtures.labels)
        let ready = Set(listedPods.filter { $0.state == .sandboxReady }.map(\.id))
        guard pods.allSatisfy({ ready.contains($0.id) }) else { return false }
        let listed = try await session.connection().containers(labelled: fixtures.labels)
        let running = Set(listed.filter { $0.state == .containerRunning }.map(\.id))
        return pods.allSatisfy { $0.containers.allSatisfy(running.contains) }
    }
}
