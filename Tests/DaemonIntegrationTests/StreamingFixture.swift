import CRIAPI
import Foundation
import StreamingTestSupport
import Testing

/// What the streaming tests need of a real daemon: containers with stdin or a terminal, the
/// streaming server's URLs, and a look at the host's processes and the daemon's FIFOs.
extension DaemonFixture {
    /// Runs `body` with one pod and one running container, then removes the pod and checks that
    /// nothing of it (exec'ed processes included) is left on the host.
    static func withStreamingPod(_ command: [String], stdin: Bool = false, tty: Bool = false, stdinOnce: Bool = false,
                                 _ body: (DaemonFixture, _ pod: String, _ container: String) async throws -> Void) async throws {
        try await with { daemon in
            let pod = try await daemon.runPod("stream")
            let container = try await daemon.runContainer(pod: pod, podName: "stream", "main", command, stdin: stdin, tty: tty,
                                                          stdinOnce: stdinOnce)
            try await body(daemon, pod, container)
            _ = try await daemon.runtime.stopPodSandbox(.with { $0.podSandboxID = pod })
            _ = try await daemon.runtime.removePodSandbox(.with { $0.podSandboxID = pod })
            #expect(daemon.leftovers() == [])
        }
    }

    func runContainer(pod: String, podName: String, _ name: String, _ command: [String], stdin: Bool, tty: Bool,
                      stdinOnce: Bool = false) async throws -> String {
        var config = containerConfig(name, command)
        config.stdin = stdin
        config.tty = tty
        config.stdinOnce = stdinOnce
        let created = try await runtime.createContainer(.with {
            $0.podSandboxID = pod
            $0.config = config
            $0.sandboxConfig = podConfig(podName)
        })
        _ = try await runtime.startContainer(.with { $0.containerID = created.containerID })
        return created.containerID
    }

    /// kubectl's choice of streams: a terminal has no stderr.
    func execURL(_ container: String, _ command: [String], tty: Bool = false, stdin: Bool = false) async throws -> String {
        try await runtime.exec(.with {
            $0.containerID = container
            $0.cmd = command
            $0.tty = tty
            $0.stdin = stdin
            $0.stdout = true
            $0.stderr = !tty
        }).url
    }

    func attachURL(_ container: String, tty: Bool, stdin: Bool) async throws -> String {
        try await runtime.attach(.with {
            $0.containerID = container
            $0.tty = tty
            $0.stdin = stdin
            $0.stdout = true
            $0.stderr = !tty
        }).url
    }

    func portForwardURL(_ pod: String, ports: [Int32]) async throws -> String {
        try await runtime.portForward(.with {
            $0.podSandboxID = pod
            $0.port = ports
        }).url
    }

    /// Polls until the container's processes listen on every one of `ports` (TCP, v4 or v6).
    func waitListening(_ container: String, ports: [Int], timeout: Duration = .seconds(20)) async throws {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            let tables = try await runtime.execSync(.with {
                $0.containerID = container
                $0.cmd = ["cat", "/proc/net/tcp", "/proc/net/tcp6"]
                $0.timeout = 10
            })
            let listening = Set(String(decoding: tables.stdout, as: UTF8.self).split(separator: "\n").compactMap { line -> Int? in
                let fields = line.split(separator: " ")
                guard fields.count > 3, fields[3] == "0A", let colon = fields[1].lastIndex(of: ":") else { return nil }
                return Int(fields[1][fields[1].index(after: colon)...], radix: 16)
            })
            if ports.allSatisfy(listening.contains) { return }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw TestFailure("ports \(ports) not listened on within \(timeout)")
    }

    /// The pod's shim's own account of its containers and execs (`corralctl shim tasks`).
    func shimTasks(pod: String) throws -> String {
        try TestImage.run(Self.binDir + "/corralctl", ["--state", state, "shim", "--pod", pod, "tasks", "--output", "json"])
    }

    /// The exec and attach FIFOs the daemon still has, anywhere under its state dir.
    func streamFIFOs() -> [String] {
        let walker = FileManager.default.enumerator(atPath: state)
        var found: [String] = []
        while let path = walker?.nextObject() as? String {
            let name = (path as NSString).lastPathComponent
            if path.contains("/io/"), name.hasPrefix("stream-") || name.hasPrefix("attach-") { found.append(path) }
        }
        return found
    }
}

/// Host processes whose command line is exactly `arguments` (a test gives its sleeps a number
/// of their own, so that nothing else matches).
func processes(runningExactly arguments: [String]) -> [String] {
    let wanted = arguments.joined(separator: "\0") + "\0"
    return ((try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []).filter { entry in
        guard Int(entry) != nil, let cmdline = try? String(contentsOfFile: "/proc/\(entry)/cmdline", encoding: .utf8) else {
            return false
        }
        return cmdline == wanted
    }
}

/// Polls `condition` until it holds; false when `timeout` passed first. The timeout only
/// bounds a hang: no test asserts on how fast anything is.
func eventually(_ timeout: Duration = .seconds(15), _ condition: () async throws -> Bool) async rethrows -> Bool {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if try await condition() { return true }
        try? await Task.sleep(for: .milliseconds(50))
    }
    return try await condition()
}

/// The exit code a v4+ error-stream Status carries: 0 for Success, the ExitCode cause of a
/// NonZeroExitCode failure; nil for anything else.
func exitCode(ofStatus json: String) -> Int? {
    guard let object = try? JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any] else { return nil }
    if object["status"] as? String == "Success" { return 0 }
    guard object["reason"] as? String == "NonZeroExitCode",
          let causes = (object["details"] as? [String: Any])?["causes"] as? [[String: Any]],
          let cause = causes.first(where: { $0["reason"] as? String == "ExitCode" }),
          let message = cause["message"] as? String else { return nil }
    return Int(message)
}

/// A random number for a process's arguments, so the test can find that process by them.
func uniqueNumber() -> String {
    String(Int.random(in: 100_000...999_999))
}

/// Where two byte runs part, for a failure message that fits on a screen; nil when they are equal.
func difference(_ got: [UInt8], _ expected: [UInt8]) -> String? {
    guard got != expected else { return nil }
    let common = zip(got, expected).prefix { $0 == $1 }.count
    return "got \(got.count) bytes, expected \(expected.count); they part at byte \(common)"
}
