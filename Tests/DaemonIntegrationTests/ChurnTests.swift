import CRIAPI
import CRIGRPC
import CorralSystem
import Foundation
import GRPCCore
import GRPCNIOTransportHTTP2Posix
import Synchronization
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Pods coming and going all day beside long-lived ones, with corrald and shims killed at the
/// worst moments: afterwards every pod that was acknowledged is there, and once all are removed
/// nothing is left on the host (mounts, veths, IP leases, cgroups, processes, state files, rows)
/// and corrald holds no more descriptors than before. Shortened for CI; `bench/node` runs the
/// long one.
@Suite("churn and faults", .serialized, .enabled(if: DaemonFixture.available))
struct ChurnTests {
    /// The CRI client the workers share, replaced when corrald restarts; nil while it is down.
    final class Connection: Sendable {
        let client = Mutex<CRIClient?>(nil)
        var runtime: Runtime_V1_RuntimeService.Client<HTTP2ClientTransport.Posix>? { client.withLock { $0?.runtime } }
        func replace(_ socket: String?) throws {
            let next = try socket.map { try CRIClient(socket: $0) }
            client.withLock { old in
                old?.close()
                old = next
            }
        }
    }

    /// What the workers know for sure: pods RunPodSandbox answered, and those whose removal was
    /// asked for since (corrald may have removed one and died before it answered).
    struct Tally {
        var acknowledged: Set<String> = []
        var removed: Set<String> = []
        var completed = 0
        var failed = 0
    }

    final class Ledger: Sendable {
        let tally = Mutex(Tally())
        let stopped = Atomic<Bool>(false)
        func withLock<R: Sendable>(_ body: (inout sending Tally) -> sending R) -> R { tally.withLock(body) }
    }

    /// One pod's life, as kubelet lives it. Any step may fail while corrald is down: the pod is
    /// then left for the final sweep.
    static func lifecycle(_ daemon: DaemonFixture, _ connection: Connection, _ ledger: Ledger, name: String) async {
        do {
            guard let runtime = connection.runtime else { throw TestFailure("corrald is down") }
            let config = daemon.podConfig(name)
            let pod = try await runtime.runPodSandbox(.with { $0.config = config }).podSandboxID
            ledger.withLock { _ = $0.acknowledged.insert(pod) }
            let id = try await runtime.createContainer(.with {
                $0.podSandboxID = pod
                $0.config = daemon.containerConfig("main", ["sleep", "3600"])
                $0.sandboxConfig = config
            }).containerID
            _ = try await runtime.startContainer(.with { $0.containerID = id })
            let echo = try await runtime.execSync(.with { $0.containerID = id; $0.cmd = ["echo", name]; $0.timeout = 10 })
            guard echo.stdout == Data((name + "\n").utf8) else { throw TestFailure("exec answered \(echo)") }
            _ = try await runtime.stopPodSandbox(.with { $0.podSandboxID = pod })
            ledger.withLock { _ = $0.removed.insert(pod) }
            _ = try await runtime.removePodSandbox(.with { $0.podSandboxID = pod })
            ledger.withLock { $0.completed += 1 }
        } catch {
            ledger.withLock { $0.failed += 1 }
        }
    }

    /// Runs `perWorker` lifecycles on each of `workers` workers.
    static func churn(_ daemon: DaemonFixture, _ connection: Connection, _ ledger: Ledger,
                      workers: Int, perWorker: Int, prefix: String) async {
        await withTaskGroup(of: Void.self) { group in
            for worker in 0..<workers {
                group.addTask {
                    for round in 0..<perWorker {
                        await lifecycle(daemon, connection, ledger, name: "\(prefix)-\(worker)-\(round)")
                    }
                }
            }
        }
    }

    /// Removes every pod corrald lists, then checks that nothing of any of them is left.
    static func sweepAndCheck(_ daemon: DaemonFixture, _ runtime: Runtime_V1_RuntimeService.Client<HTTP2ClientTransport.Posix>) async throws {
        for pod in try await runtime.listPodSandbox(.init()).items {
            _ = try await runtime.stopPodSandbox(.with { $0.podSandboxID = pod.id })
            _ = try await runtime.removePodSandbox(.with { $0.podSandboxID = pod.id })
        }
        #expect(try await runtime.listPodSandbox(.init()).items.isEmpty)
        #expect(try await runtime.listContainers(.init()).containers.isEmpty)
        #expect(daemon.leftovers() == [])
        // host-local keeps a file per leased address; its lock and last-reserved files stay.
        let leases = ((try? FileSystem.listDirectory(daemon.dir + "/ipam/corral-dtest-\(daemon.suffix)")) ?? [])
            .filter { $0 != "lock" && !$0.hasPrefix("last_reserved_ip") }
        #expect(leases == [], "IP leases left: \(leases)")
        for sub in ["pods", "containers", "sandboxes"] {
            let left = (try? FileSystem.listDirectory(daemon.state + "/" + sub)) ?? []
            #expect(left == [], "state/\(sub): \(left)")
        }
        let rootfs = (try? FileSystem.listDirectory(daemon.root + "/containers")) ?? []
        #expect(rootfs == [], "writable layers left: \(rootfs)")
    }

    static func descriptors(of pid: Int32) -> Int { ((try? FileSystem.listDirectory("/proc/\(pid)/fd")) ?? []).count }

    static func rssKiB(of pid: Int32) -> Int {
        let status = (try? FileSystem.readText("/proc/\(pid)/status")) ?? ""
        return status.split(separator: "\n").first { $0.hasPrefix("VmRSS:") }
            .flatMap { Int($0.split(separator: " ").dropFirst().first ?? "") } ?? 0
    }

    /// A corrald of its own, a shared client for the workers and their ledger; whatever the test
    /// leaves is swept and checked afterwards.
    static func churning(_ body: @Sendable (DaemonFixture, Connection, Ledger) async throws -> Void) async throws {
        try await DaemonFixture.with { daemon in
            let connection = Connection()
            try connection.replace(daemon.socket)
            defer { try? connection.replace(nil) }
            try await body(daemon, connection, Ledger())
            try await Self.sweepAndCheck(daemon, daemon.runtime)
        }
    }

    @Test("240 pod lifecycles on 4 workers beside 8 long-lived pods leave nothing, and corrald's descriptors as they were")
    func churnLeavesNothing() async throws {
        try await Self.churning { daemon, connection, ledger in
            for index in 0..<8 {
                let pod = try await daemon.runPod("steady-\(index)")
                try await daemon.runContainer(pod: pod, "main", ["sleep", "3600"])
            }
            // One lifecycle first, so that what corrald opens once (stores, the CNI cache) is in the baseline.
            await Self.lifecycle(daemon, connection, ledger, name: "warm")
            let fds = Self.descriptors(of: daemon.pid)
            let rss = Self.rssKiB(of: daemon.pid)
            await Self.churn(daemon, connection, ledger, workers: 4, perWorker: 60, prefix: "churn")
            let done = ledger.withLock { $0 }
            #expect(done.failed == 0 && done.completed == 241, "\(done.completed) completed, \(done.failed) failed")
            #expect(try await daemon.runtime.listPodSandbox(.init()).items.count == 8)
            let grownFDs = Self.descriptors(of: daemon.pid) - fds
            #expect(grownFDs <= 4, "corrald holds \(grownFDs) more descriptors after the churn")
            print("churn: 240 lifecycles; corrald descriptors \(fds) → \(fds + grownFDs), RSS \(rss) → \(Self.rssKiB(of: daemon.pid)) KiB")
        }
    }

    @Test("corrald killed -9 at random moments of the churn: acknowledged pods survive, nothing is half-made or left")
    func daemonKilledDuringChurn() async throws {
        try await Self.churning { daemon, connection, ledger in
            async let workers: Void = withTaskGroup(of: Void.self) { group in
                for worker in 0..<4 {
                    group.addTask {
                        var round = 0
                        while !ledger.stopped.load(ordering: .relaxed) {
                            await Self.lifecycle(daemon, connection, ledger, name: "crash-\(worker)-\(round)")
                            round += 1
                            if connection.runtime == nil { try? await Task.sleep(for: .milliseconds(50)) }
                        }
                    }
                }
            }
            for _ in 0..<10 {
                try await Task.sleep(for: .milliseconds(Int.random(in: 300...1500)))
                try connection.replace(nil)
                await daemon.crash()
                try await daemon.start()
                try connection.replace(daemon.socket)
            }
            try await Task.sleep(for: .seconds(1))
            ledger.stopped.store(true, ordering: .relaxed)
            await workers
            let done = ledger.withLock { $0 }
            #expect(done.completed > 0, "no lifecycle completed between the crashes")
            // Every pod RunPodSandbox acknowledged and nobody removed is there, and answers.
            let listed = try await daemon.runtime.listPodSandbox(.init()).items
            let present = Set(listed.map(\.id))
            let missing = done.acknowledged.subtracting(done.removed).subtracting(present)
            #expect(missing.isEmpty, "acknowledged pods lost: \(missing)")
            for pod in listed {
                let status = try await daemon.runtime.podSandboxStatus(.with { $0.podSandboxID = pod.id }).status
                // Ready means complete: an address and a shim that answers for it.
                if status.state == .sandboxReady {
                    #expect(!status.network.ip.isEmpty, "pod \(pod.id) is ready without an address")
                }
            }
            print("corrald killed 10 times: \(done.completed) lifecycles completed, \(done.failed) cut short, \(listed.count) pods left to sweep")
        }
    }

    @Test("shims killed -9 during the churn: their pods go NOTREADY with their containers EXITED, and removal cleans up")
    func shimsKilledDuringChurn() async throws {
        try await Self.churning { daemon, connection, ledger in
            var victims: [(pod: String, container: String)] = []
            for index in 0..<6 {
                let pod = try await daemon.runPod("victim-\(index)")
                victims.append((pod, try await daemon.runContainer(pod: pod, "main", ["sleep", "3600"])))
            }
            async let churn: Void = Self.churn(daemon, connection, ledger, workers: 4, perWorker: 10, prefix: "beside")
            let killed = Array(victims.shuffled().prefix(4))
            for victim in killed {
                try await Task.sleep(for: .milliseconds(Int.random(in: 100...600)))
                kill(try await daemon.shimPID(of: victim.pod), SIGKILL)
            }
            await churn
            let done = ledger.withLock { $0 }
            #expect(done.failed == 0, "\(done.failed) lifecycles beside the killed shims failed")
            for victim in killed {
                let notReady = await eventually {
                    (try? await daemon.runtime.podSandboxStatus(.with { $0.podSandboxID = victim.pod }).status.state) == .sandboxNotready
                }
                #expect(notReady, "pod \(victim.pod) is still ready although its shim was killed")
                let container = try await daemon.containerState(victim.container)
                #expect(container.state == .containerExited && !container.reason.isEmpty, "\(container)")
            }
            for victim in victims where !killed.contains(where: { $0.pod == victim.pod }) {
                let state = try await daemon.runtime.podSandboxStatus(.with { $0.podSandboxID = victim.pod }).status.state
                #expect(state == .sandboxReady, "pod \(victim.pod) lost with another pod's shim")
                #expect(try await daemon.containerState(victim.container).state == .containerRunning)
            }
        }
    }
}
