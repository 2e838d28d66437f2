import CorralSystem
import TestSupport

#if canImport(Glibc)
import Glibc
#endif

/// Debian's docker-registry on 127.0.0.1 and a free port, storing into a temp dir; stopped by `stop()`.
final class DockerRegistry: @unchecked Sendable {
    let port: UInt16
    private(set) var pid: pid_t = 0
    let dir: TemporaryDirectory
    var address: String { "127.0.0.1:\(port)" }

    let certificates: TestCertificates?

    /// With `tls`, the registry speaks HTTPS with a certificate from a CA of its own, and with
    /// `clientCertificates` it wants a client certificate from that CA as well.
    init(tls: Bool = false, clientCertificates: Bool = false) async throws {
        dir = try TemporaryDirectory("registry")
        port = try TCP.freePort()
        certificates = tls ? try await TestCertificates.make(in: dir.path + "/certs") : nil
        var tlsConfig = ""
        if let certificates {
            tlsConfig = """

                  tls:
                    certificate: \(certificates.serverCert)
                    key: \(certificates.serverKey)
                """
            if clientCertificates {
                tlsConfig += """

                        clientcas:
                          - \(certificates.caCert)
                    """
            }
        }
        let config = dockerRegistryConfig(storage: dir.path + "/storage", port: port, http: tlsConfig)
        try dir.write("config.yml", Array(config.utf8))
        try await start()
    }

    /// Starts the registry on its port and storage (again, after `kill()`), and waits until it listens.
    func start() async throws {
        let log = try FileDescriptor.open(dir.path + "/registry.log", O_WRONLY | O_CREAT | O_APPEND)
        defer { log.close() }
        pid = try Spawn.run("/usr/bin/docker-registry", arguments: ["docker-registry", "serve", dir.path + "/config.yml"],
                            stdio: .init(stdout: log, stderr: log))
        for _ in 0..<100 where !TCP.canConnect(port: port) {
            try await Task.sleep(for: .milliseconds(50))
        }
        guard TCP.canConnect(port: port) else {
            stop()
            throw ToolFailure(description: "docker-registry did not start: " + (readText(dir.path + "/registry.log") ?? ""))
        }
    }

    /// Kills the registry with SIGKILL, as a crash would, keeping its storage.
    func kill() {
        Glibc.kill(pid, SIGKILL)
        var status: Int32 = 0
        waitpid(pid, &status, 0)
    }

    /// Copies an image from an OCI layout into the registry with skopeo.
    func push(layout: String, tag: String, to repository: String, all: Bool = false) async throws {
        var arguments = ["copy", "--quiet", "--dest-tls-verify=false"]
        if let certificates { arguments.append("--dest-cert-dir=" + certificates.clientDir) }
        if all { arguments.append("--all") }
        arguments += ["oci:\(layout):\(tag)", "docker://\(address)/\(repository)"]
        try await Tool.run("/usr/bin/skopeo", arguments)
    }

    func stop() {
        Glibc.kill(pid, SIGTERM)
        var status: Int32 = 0
        waitpid(pid, &status, 0)
        dir.remove()
    }
}
