import CorralStreaming
import CorralSystem
import Foundation
import Testing

/// `[streaming] tls_cert` and `tls_key`: the same server behind HTTPS, checked with curl.
@Suite(.enabled(if: FileSystem.exists("/usr/bin/openssl") && FileSystem.exists("/usr/bin/curl")))
struct TLSTests {
    @Test func servesHTTPSWithTheConfiguredCertificate() async throws {
        let dir = NSTemporaryDirectory() + "corral-tls-\(getpid())-\(Int.random(in: 0..<1_000_000))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let made = try await Command.run("/usr/bin/openssl", arguments: [
            "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "1",
            "-subj", "/CN=127.0.0.1", "-keyout", dir + "/key.pem", "-out", dir + "/cert.pem",
        ])
        #expect(made.status == .exited(0), "\(made.stderrText)")

        try await withServer(configure: {
            $0.tls = .init(certificateChain: dir + "/cert.pem", privateKey: dir + "/key.pem")
        }) { server in
            #expect(server.baseURL.hasPrefix("https://127.0.0.1:"))
            let unknown = try await Self.curl(["-o", "/dev/null", "-w", "%{http_code}", server.baseURL + "/exec/nosuchtoken"])
            #expect(unknown == "404")

            // A real token upgrades over TLS: curl prints the 101 and then has nothing to say.
            let url = try server.exec(ExecRequest(containerID: "c", cmd: ["true"]))
            let upgraded = try await Self.curl(["-D", "-", "-o", "/dev/null", "--max-time", "2",
                                                "-H", "Connection: Upgrade", "-H", "Upgrade: SPDY/3.1",
                                                "-H", "X-Stream-Protocol-Version: v4.channel.k8s.io", url])
            #expect(upgraded.hasPrefix("HTTP/1.1 101"), "\(upgraded)")

            // Plain HTTP to the TLS port gets no HTTP answer.
            let plain = try await Self.curl(["-o", "/dev/null", "-w", "%{http_code}", "--max-time", "2",
                                             server.baseURL.replacingOccurrences(of: "https://", with: "http://") + "/exec/x"])
            #expect(plain == "000")
        }
    }

    private static func curl(_ arguments: [String]) async throws -> String {
        try await Command.run("/usr/bin/curl", arguments: ["-sk", "--http1.1", "-X", "POST"] + arguments).stdoutText
    }
}
