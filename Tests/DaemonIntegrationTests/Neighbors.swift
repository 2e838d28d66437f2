import CRIAPI
import CorralSystem
import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// What a test of a misbehaving container watches besides it: a container beside it in its pod
/// and one in another pod, which must keep answering execs and status calls as if nothing happened.
struct Neighbors {
    let inPod: String
    let otherPod: String

    /// Starts the two neighbors: one in `pod` (made from `podConfig`), one in a pod of its own.
    static func start(_ daemon: DaemonFixture, pod: String, podConfig: Runtime_V1_PodSandboxConfig) async throws -> Neighbors {
        let inPod = try await daemon.startContainer(pod: pod, podConfig: podConfig, daemon.containerConfig("neighbor", ["sleep", "3600"]))
        let other = try await daemon.runPodWith(daemon.containerConfig("other", ["sleep", "3600"]), podName: "bystander").container
        return Neighbors(inPod: inPod, otherPod: other)
    }

    /// One round of calls into both; what went wrong, if anything.
    func check(_ daemon: DaemonFixture) async -> [String] {
        var failures: [String] = []
        for container in [inPod, otherPod] {
            do {
                let answer = try await daemon.runtime.execSync(.with {
                    $0.containerID = container
                    $0.cmd = ["echo", "alive"]
                    $0.timeout = 10
                })
                if answer.exitCode != 0 || String(decoding: answer.stdout, as: UTF8.self) != "alive\n" {
                    failures.append("\(container.prefix(12)): exec answered \(answer.exitCode) \(String(decoding: answer.stdout + answer.stderr, as: UTF8.self))")
                }
                let status = try await daemon.containerState(container)
                if status.state != .containerRunning { failures.append("\(container.prefix(12)): \(status.state)") }
            } catch {
                failures.append("\(container.prefix(12)): \(error)")
            }
        }
        return failures
    }
}

extension DaemonFixture {
    /// A pod set up as kubelet sets one (a PID namespace per container), with `configure` applied.
    func hostilePodConfig(_ name: String, configure: (inout Runtime_V1_PodSandboxConfig) -> Void = { _ in }) -> Runtime_V1_PodSandboxConfig {
        var config = podConfig(name)
        config.linux.securityContext.namespaceOptions.pid = .container
        configure(&config)
        return config
    }

    /// Creates and starts `config` in `pod`.
    func startContainer(pod: String, podConfig: Runtime_V1_PodSandboxConfig, _ config: Runtime_V1_ContainerConfig) async throws -> String {
        var config = config
        config.linux.securityContext.namespaceOptions.pid = .container
        let created = try await runtime.createContainer(.with {
            $0.podSandboxID = pod
            $0.config = config
            $0.sandboxConfig = podConfig
        })
        _ = try await runtime.startContainer(.with { $0.containerID = created.containerID })
        return created.containerID
    }

    /// A new pod named `podName` running `config`.
    func runPodWith(_ config: Runtime_V1_ContainerConfig, podName: String,
                    configurePod: (inout Runtime_V1_PodSandboxConfig) -> Void = { _ in })
    async throws -> (pod: String, container: String, podConfig: Runtime_V1_PodSandboxConfig) {
        let podConfig = hostilePodConfig(podName, configure: configurePod)
        let pod = try await runtime.runPodSandbox(.with { $0.config = podConfig }).podSandboxID
        return (pod, try await startContainer(pod: pod, podConfig: podConfig, config), podConfig)
    }

    /// The pid of a pod's shim, from its verbose status.
    func shimPID(of pod: String) async throws -> Int32 {
        let status = try await runtime.podSandboxStatus(.with { $0.podSandboxID = pod; $0.verbose = true })
        let info = try JSONSerialization.jsonObject(with: Data((status.info["info"] ?? "{}").utf8)) as? [String: Any]
        guard let pid = (info?["shim"] as? [String: Any])?["pid"] as? Int else { throw TestFailure("no shim pid in \(status.info)") }
        return Int32(pid)
    }

    /// The socket of a pod's shim.
    func shimSocket(of pod: String) async throws -> String {
        let status = try await runtime.podSandboxStatus(.with { $0.podSandboxID = pod; $0.verbose = true })
        let info = try JSONSerialization.jsonObject(with: Data((status.info["info"] ?? "{}").utf8)) as? [String: Any]
        guard let address = (info?["shim"] as? [String: Any])?["address"] as? String else { throw TestFailure("no shim address") }
        return address.hasPrefix("unix://") ? String(address.dropFirst("unix://".count)) : address
    }
}

/// What /proc says of a process's use of the machine.
enum ProcessUsage {
    /// A field of /proc/PID/status in kB (VmRSS, VmHWM) or a count (Threads).
    static func status(_ pid: Int32, _ field: String) -> Int {
        let text = (try? FileSystem.readText("/proc/\(pid)/status")) ?? ""
        guard let line = text.split(separator: "\n").first(where: { $0.hasPrefix(field + ":") }) else { return -1 }
        return Int(line.split(whereSeparator: { $0 == " " || $0 == "\t" })[1]) ?? -1
    }

    /// Forgets the peak resident size, so that VmHWM is the peak from now on.
    static func resetPeak(_ pid: Int32) {
        _ = try? "5".write(toFile: "/proc/\(pid)/clear_refs", atomically: false, encoding: .utf8)
    }

    /// User plus system CPU time, in seconds.
    static func cpuSeconds(_ pid: Int32) -> Double {
        let (user, system) = cpuTimes(pid)
        return user + system
    }

    /// User and system CPU time, in seconds.
    static func cpuTimes(_ pid: Int32) -> (user: Double, system: Double) {
        guard let stat = try? FileSystem.readText("/proc/\(pid)/stat"), let close = stat.lastIndex(of: ")") else { return (-1, -1) }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        // After the command: state is field 3, utime 14 and stime 15.
        let hertz = Double(sysconf(Int32(_SC_CLK_TCK)))
        return ((Double(fields[11]) ?? 0) / hertz, (Double(fields[12]) ?? 0) / hertz)
    }

    static func descriptors(_ pid: Int32) -> Int {
        ((try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/fd")) ?? []).count
    }

    /// The pids whose parent is `pid` and that are zombies.
    static func zombieChildren(of pid: Int32) -> [Int32] {
        ((try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []).compactMap { entry -> Int32? in
            guard let child = Int32(entry), let stat = try? FileSystem.readText("/proc/\(entry)/stat"),
                  let close = stat.lastIndex(of: ")") else { return nil }
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            guard fields.count > 2, fields[0] == "Z", Int32(fields[1]) == pid else { return nil }
            return child
        }
    }
}
