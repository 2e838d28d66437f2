import CorralSystem
import Foundation
import TestSupport

#if canImport(Glibc)
import Glibc
#endif

/// Debian's docker-registry on 127.0.0.1 and a free port, its storage under `dir`, holding
/// what a test pushes from OCI layouts with skopeo; corrald reaches it over plain HTTP.
final class LocalRegistry: Sendable {
    static var available: Bool { FileSystem.exists("/usr/bin/docker-registry") && FileSystem.exists("/usr/bin/skopeo") }

    let port: UInt16
    let pid: pid_t
    var address: String { "127.0.0.1:\(port)" }
    /// The corrald config that lets it pull from here, for `DaemonFixture`'s `extraConfig`.
    var daemonConfig: String { "\n[registry.configs.\"\(address)\"]\nplain_http = true\n" }

    init(dir: String) async throws {
        port = try TCP.freePort()
        try FileSystem.makeDirectories(dir, mode: 0o755)
        let config = dockerRegistryConfig(storage: dir + "/storage", port: port)
        try config.write(toFile: dir + "/config.yml", atomically: true, encoding: .utf8)
        let log = try FileDescriptor.open(dir + "/registry.log", O_WRONLY | O_CREAT | O_APPEND, mode: 0o644)
        defer { log.close() }
        pid = try Spawn.run("/usr/bin/docker-registry", arguments: ["docker-registry", "serve", dir + "/config.yml"],
                            stdio: .init(stdout: log, stderr: log))
        for _ in 0..<100 where !TCP.canConnect(port: port) {
            try await Task.sleep(for: .milliseconds(50))
        }
        guard TCP.canConnect(port: port) else {
            stop()
            throw TestFailure("docker-registry did not start")
        }
    }

    /// Copies the image of an OCI layout (or archive) into `repository:tag`.
    func push(layout: String, to repository: String) async throws {
        let source = layout.hasSuffix(".tar") ? "oci-archive:" + layout : "oci:" + layout
        let pushed = try await Command.run("/usr/bin/skopeo", arguments: ["copy", "--quiet", "--dest-tls-verify=false",
                                                                          source, "docker://\(address)/\(repository)"])
        guard pushed.status == .exited(0) else { throw TestFailure("skopeo copy: \(pushed.stderrText)") }
    }

    func stop() {
        kill(pid, SIGTERM)
        var status: Int32 = 0
        waitpid(pid, &status, 0)
    }
}
