import CorralSystem
import Foundation
import Testing

/// systemd starts corrald with NOTIFY_SOCKET (Type=notify), LISTEN_FDS (socket activation) and
/// WATCHDOG_USEC. Those speak for corrald's unit alone: runc that inherits NOTIFY_SOCKET sets up
/// a notify proxy of its own in its state dir, whose path is over the kernel's 108 bytes, and
/// every container start failed with `bind: invalid argument`.
@Suite("systemd's variables for corrald's unit stay with corrald", .serialized, .enabled(if: DaemonFixture.available))
struct SystemdUnitEnvironmentTests {
    static func environment(of pid: Int32) -> [String] {
        guard let bytes = try? FileSystem.readFile("/proc/\(pid)/environ", limit: 1 << 20) else { return [] }
        return bytes.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
    }

    @Test("a corrald started with NOTIFY_SOCKET runs containers, and neither shims nor containers inherit it")
    func notifySocketIsNotInherited() async throws {
        let daemon = try DaemonFixture()
        do {
            // No one listens there: sd_notify's datagrams are simply lost.
            try await daemon.start(environment: ["NOTIFY_SOCKET=\(daemon.dir)/notify.sock", "WATCHDOG_USEC=60000000"])
            let pod = try await daemon.runPod("notified")
            let id = try await daemon.runContainer(pod: pod, "main", ["sleep", "3600"])
            #expect(try await daemon.containerState(id).state == .containerRunning)
            let shim = try await daemon.shimPID(of: pod)
            let inherited = Self.environment(of: shim).filter { $0.hasPrefix("NOTIFY_SOCKET=") || $0.hasPrefix("WATCHDOG_") }
            #expect(inherited == [], "the shim inherited \(inherited)")
            let probe = try await daemon.runtime.execSync(.with { $0.containerID = id; $0.cmd = ["env"]; $0.timeout = 10 })
            #expect(!String(decoding: probe.stdout, as: UTF8.self).contains("NOTIFY_SOCKET"))
        } catch {
            await daemon.tearDown()
            throw error
        }
        await daemon.tearDown()
    }
}
