import CorralSystem
import Foundation
import ShimAPI
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// runc's `kill --all` freezes a cgroup-v1 container while it signals; a `delete` that runs
/// meanwhile finds it paused, refuses, and the container's cgroup stays on the host for good.
/// The shim runs each container's runtime commands one after another.
@Suite("runtime commands on one container take turns", .serialized,
       .enabled(if: ShimHarness.binaryExists && getuid() == 0 && BusyboxImage.available
                    && FileManager.default.isExecutableFile(atPath: "/usr/sbin/runc"), "needs root, runc, busybox and a built corral-shim"))
struct RuntimeTurnsTests {
    /// A runc that logs when each command begins and ends, and lingers half a second after each
    /// `kill`, as a loaded machine's runc does while the container's exit is already heard.
    static func slowKillRuntime(_ pod: PodFixture) throws -> String {
        let path = pod.root + "/runc-slow-kill"
        try """
        #!/bin/sh
        echo "begin $$ $(date +%s%N) $*" >> \(pod.runtimeTrace)
        /usr/sbin/runc "$@"
        rc=$?
        case " $* " in *" kill "*) sleep 0.5;; esac
        echo "end $$ $(date +%s%N)" >> \(pod.runtimeTrace)
        exit $rc
        """.write(toFile: path, atomically: true, encoding: .utf8)
        chmod(path, 0o755)
        return path
    }

    /// Each command's span, from the trace: (command line, begin, end) in nanoseconds.
    static func spans(_ trace: String) -> [(command: String, begin: UInt64, end: UInt64)] {
        var open: [String: (String, UInt64)] = [:]
        var spans: [(String, UInt64, UInt64)] = []
        for line in trace.split(separator: "\n") {
            let words = line.split(separator: " ", maxSplits: 3).map(String.init)
            guard words.count >= 3, let time = UInt64(words[2]) else { continue }
            if words[0] == "begin" {
                open[words[1]] = (words.count > 3 ? words[3] : "", time)
            } else if let (command, begin) = open.removeValue(forKey: words[1]) {
                spans.append((command, begin, time))
            }
        }
        return spans.sorted { $0.1 < $1.1 }
    }

    @Test("a stop that kills a created and a running container never deletes either while a kill is under way, and leaves no cgroup")
    func killAndDeleteNeverOverlap() async throws {
        try await withPod { pod in
            let before = try HostSnapshot.take(of: pod)
            try await pod.run()
            let runtime = try Self.slowKillRuntime(pod)
            _ = try await pod.createContainer("made", ["sleep", "300"], .init(runtimePath: runtime))
            _ = try await pod.runContainer("running", ["sleep", "300"], .init(runtimePath: runtime))
            _ = try await pod.client.call(SandboxMethods.stopSandbox, .with { $0.sandboxID = pod.id; $0.timeoutSecs = 0 },
                                          timeout: .seconds(30))
            _ = try await pod.client.call(SandboxMethods.shutdownSandbox, .with { $0.sandboxID = pod.id }, timeout: .seconds(30))
            #expect(await ShimHarness.waitForExit(pod.shimPID))

            let spans = Self.spans((try? String(contentsOfFile: pod.runtimeTrace, encoding: .utf8)) ?? "")
            for name in ["made", "running"] {
                let mine = spans.filter { $0.command.hasSuffix(" \(name)") || $0.command.contains(" \(name) ") }
                // Both were killed and deleted, so the test saw the commands it is about.
                #expect(mine.contains { $0.command.contains(" kill ") }, "\(name): \(mine.map(\.command))")
                #expect(mine.contains { $0.command.contains(" delete ") }, "\(name): \(mine.map(\.command))")
                for (earlier, later) in zip(mine, mine.dropFirst()) {
                    #expect(later.begin >= earlier.end, "\(name): `\(later.command)` began while `\(earlier.command)` ran")
                }
            }
            let after = try HostSnapshot.take(of: pod)
            #expect(after == before)
        }
    }
}

/// kubelet's systemd cgroup driver: the pod says so when it is created, and every runtime
/// command on its containers then carries `--systemd-cgroup`, which makes runc ask systemd for a
/// scope under the pod's slice instead of taking `slice:prefix:name` as a directory name.
@Suite("the systemd cgroup driver reaches the runtime", .serialized,
       .enabled(if: ShimHarness.binaryExists && getuid() == 0 && BusyboxImage.available
                    && FileManager.default.isExecutableFile(atPath: "/usr/sbin/runc"), "needs root, runc, busybox and a built corral-shim"))
struct SystemdCgroupDriverTests {
    @Test("a pod created for the systemd driver runs every runtime command with --systemd-cgroup; one for cgroupfs never")
    func driverReachesEveryCommand() async throws {
        for systemd in [true, false] {
            try await withPod { pod in
                try await pod.run(systemdCgroup: systemd)
                let runtime = try pod.tracedRuntime()
                // Without systemd as PID 1 (these machines) runc refuses the create; with it, the
                // container runs in a scope. Either way the command line is what is checked.
                _ = try? await pod.runContainer("main", ["sleep", "300"], .init(runtimePath: runtime))
                _ = try? await pod.client.call(SandboxMethods.shutdownSandbox, .with { $0.sandboxID = pod.id }, timeout: .seconds(30))
                let lines = ((try? String(contentsOfFile: pod.runtimeTrace, encoding: .utf8)) ?? "").split(separator: "\n")
                #expect(lines.contains { $0.contains(" create ") }, "\(lines)")
                for line in lines {
                    #expect(line.contains("--systemd-cgroup") == systemd, "\(line)")
                }
            }
        }
    }
}
