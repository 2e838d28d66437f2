import CRIAPI
import CorralImages
import CorralRegistry
import CorralSystem
import Foundation
import Logging
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// corrald as an operator runs it: installed by scripts/install.sh from built binaries on a node
/// without the Swift toolchain, started by systemd through its socket, with the systemd cgroup
/// driver; restarted, stopped, reloaded and crashed under running pods.
@Suite("corrald under systemd as PID 1", .serialized,
       .enabled(if: CgroupV2Host.systemdRuns && ProcessInfo.processInfo.environment["CORRAL_GUEST_REPO"] != nil))
struct GuestSystemdTests {
    static let socket = "/run/corral/corral.sock"

    /// A command run without the test bundle's own LD_LIBRARY_PATH (the toolchain's runtime):
    /// what it starts must do without it.
    @discardableResult
    static func sh(_ command: String) throws -> String {
        try TestImage.run("/usr/bin/env", ["-u", "LD_LIBRARY_PATH", "/bin/sh", "-c", command])
    }

    static func property(_ name: String) throws -> String {
        try sh("systemctl show corrald.service -p \(name) --value").trimmingCharacters(in: .whitespacesAndNewlines)
    }

    static func connect(_ moment: String) async throws -> CRIClient {
        let deadline = ContinuousClock.now + .seconds(120)
        while true {
            if let client = try? CRIClient(socket: socket) {
                if (try? await client.runtime.version(.init())) != nil { return client }
                client.close()
            }
            guard ContinuousClock.now < deadline else {
                let journal = (try? sh("systemctl status --no-pager corrald.socket corrald.service; journalctl -u corrald --no-pager -n 40 -o short-monotonic")) ?? ""
                throw TestFailure("\(moment): corrald did not answer on \(socket)\n\(journal)")
            }
            try await Task.sleep(for: .milliseconds(200))
        }
    }

    static func waitFor(_ what: String, timeout: Duration = .seconds(120), _ condition: () throws -> Bool) async throws {
        let deadline = ContinuousClock.now + timeout
        while !((try? condition()) ?? false) {
            guard ContinuousClock.now < deadline else { throw TestFailure("timed out waiting for \(what)") }
            try await Task.sleep(for: .milliseconds(200))
        }
    }

    static func alive(_ pid: Int32) -> Bool { kill(pid, 0) == 0 }

    @Test("socket activation, readiness, journal fields, reload, restart, stop and a crash, with the pods untouched")
    func installedAndRunBySystemd() async throws {
        let repo = ProcessInfo.processInfo.environment["CORRAL_GUEST_REPO"]!
        try Self.sh("CORRAL_BIN='\(DaemonFixture.binDir)' '\(repo)/scripts/install.sh'")
        defer {
            _ = try? Self.sh("systemctl disable --now corrald.socket corrald.service; rm -rf /var/lib/corral /run/corral /etc/corral")
        }
        // The production shape: systemd's cgroup driver, entries in the journal with their fields.
        try Self.sh("sed -i -e 's/^cgroup_driver = .*/cgroup_driver = \"systemd\"/' -e 's/^log_target = .*/log_target = \"journal\"/' /etc/corral/config.toml")
        let store = try ImageStore(root: "/var/lib/corral", registry: RegistryConfiguration(), logger: Logger(label: "test"))
        _ = try await store.importLayout(path: try TestImage.prepare(), defaultName: "docker.io/library/busybox")

        try Self.sh("systemctl enable --now corrald.socket")
        #expect(try Self.property("ActiveState") == "inactive", "corrald started before its socket was used")
        var client = try await Self.connect("socket activation")
        #expect(try Self.property("ActiveState") == "active")
        #expect(try Self.property("Type") == "notify")
        let firstPID = try Self.property("MainPID")
        #expect(try await client.runtime.runtimeConfig(.init()).linux.cgroupDriver == .systemd)
        let conditions = try await client.runtime.status(.init()).status.conditions
        #expect(conditions.filter { $0.status }.map(\.type).sorted() == ["NetworkReady", "RuntimeReady"], "\(conditions)")

        let uid = "guest-\(getpid())"
        let podConfig = Runtime_V1_PodSandboxConfig.with {
            $0.metadata = .with { $0.name = "web"; $0.namespace = "default"; $0.uid = uid }
            $0.hostname = "web"
            $0.logDirectory = "/var/log/pods/default_web_\(uid)"
            $0.linux.cgroupParent = "kubepods-besteffort-pod\(uid.replacingOccurrences(of: "-", with: "_")).slice"
        }
        let pod = try await client.runtime.runPodSandbox(.with { $0.config = podConfig }).podSandboxID
        let container = try await client.runtime.createContainer(.with {
            $0.podSandboxID = pod
            $0.sandboxConfig = podConfig
            $0.config = .with {
                $0.metadata = .with { $0.name = "app" }
                $0.image.image = "busybox"
                $0.command = ["sleep", "3600"]
                $0.logPath = "app_0.log"
            }
        }).containerID
        _ = try await client.runtime.startContainer(.with { $0.containerID = container })
        let podInfo = try await client.runtime.podSandboxStatus(.with { $0.podSandboxID = pod; $0.verbose = true })
        let shimInfo = try JSONSerialization.jsonObject(with: Data((podInfo.info["info"] ?? "{}").utf8)) as? [String: Any]
        let shim = Int32((shimInfo?["shim"] as? [String: Any])?["pid"] as? Int ?? 0)
        let ctrInfo = try await client.runtime.containerStatus(.with { $0.containerID = container; $0.verbose = true })
        let process = Int32((try JSONSerialization.jsonObject(with: Data((ctrInfo.info["info"] ?? "{}").utf8)) as? [String: Any])?["pid"] as? Int ?? 0)
        #expect(shim > 0 && process > 0)
        // The container in a scope systemd owns; shim and container outside corrald's own unit.
        #expect((try? Self.sh("systemctl is-active corral-\(container).scope"))?.hasPrefix("active") == true)
        let unitCgroup = try Self.property("ControlGroup")
        for (what, pid) in [("shim", shim), ("container", process)] {
            let cgroup = (try? FileSystem.readText("/proc/\(pid)/cgroup")) ?? ""
            #expect(!cgroup.contains(unitCgroup + "\n") && !cgroup.contains(unitCgroup + "/"), "the \(what) is in corrald's unit: \(cgroup)")
        }

        // What systemd handed corrald's unit stays with corrald: a runtime that inherited
        // NOTIFY_SOCKET would fail every container start.
        let environment = (try? FileSystem.readText("/proc/\(shim)/environ")) ?? ""
        let leaked = environment.split(separator: "\0").filter { entry in
            ["NOTIFY_SOCKET=", "LISTEN_FDS=", "LISTEN_PID=", "WATCHDOG_USEC=", "WATCHDOG_PID="].contains { entry.hasPrefix($0) }
        }
        #expect(!environment.isEmpty && leaked.isEmpty, "the shim inherited \(leaked)")
        #expect(try Self.property("NotifyAccess") == "main")

        // Journal entries carry the pod's id as a field.
        try await Self.waitFor("the journal to hold the pod's entries", timeout: .seconds(60)) {
            !(try Self.sh("journalctl -u corrald --no-pager -o cat POD_ID=\(pod)")).isEmpty
        }
        // The watchdog is armed and fed.
        #expect(try Self.property("WatchdogUSec") == "1min")

        // reload: the same process, still serving.
        try Self.sh("systemctl reload corrald.service")
        #expect(try Self.property("MainPID") == firstPID)
        #expect((try? await client.runtime.version(.init())) != nil)

        // restart, stop and start, kill -9: the pod's processes stay, the next corrald finds them.
        client.close()
        try Self.sh("systemctl restart corrald.service")
        client = try await Self.connect("after systemctl restart")
        #expect(try Self.property("MainPID") != firstPID)
        try Self.sh("systemctl stop corrald.service")
        #expect(Self.alive(shim) && Self.alive(process), "systemctl stop took the pod's processes along")
        client.close()
        client = try await Self.connect("after systemctl stop, through the socket")
        let before = try Self.property("MainPID")
        try Self.sh("kill -9 \(before)")
        try await Self.waitFor("systemd to restart a crashed corrald") {
            let now = try Self.property("MainPID")
            return now != before && now != "0"
        }
        client.close()
        client = try await Self.connect("after kill -9")
        #expect(Self.alive(shim) && Self.alive(process), "the pod's processes did not survive corrald's restarts")
        #expect(try await client.runtime.containerStatus(.with { $0.containerID = container }).status.state == .containerRunning)
        let exec = try await client.runtime.execSync(.with { $0.containerID = container; $0.cmd = ["echo", "still here"]; $0.timeout = 60 })
        #expect(String(decoding: exec.stdout, as: UTF8.self) == "still here\n")

        _ = try await client.runtime.stopPodSandbox(.with { $0.podSandboxID = pod })
        _ = try await client.runtime.removePodSandbox(.with { $0.podSandboxID = pod })
        // The shim's scope goes once the shim has exited, which RemovePodSandbox waited for.
        try? await Self.waitFor("the pod's scopes to go", timeout: .seconds(20)) { GuestCgroupTests.corralUnits(of: [pod, container]).isEmpty }
        let units = GuestCgroupTests.corralUnits(of: [pod, container])
        #expect(units.isEmpty, "units left: \(units.map(GuestCgroupTests.describe))")
        client.close()
        _ = try? Self.sh("systemctl stop \(podConfig.linux.cgroupParent)")
    }
}
