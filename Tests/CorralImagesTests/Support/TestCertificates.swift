import CorralSystem

/// A throwaway CA, a server certificate for 127.0.0.1 and a client certificate, made with openssl.
struct TestCertificates {
    let dir: String
    var caCert: String { dir + "/ca.crt" }
    var serverCert: String { dir + "/server.crt" }
    var serverKey: String { dir + "/server.key" }
    /// In a directory of their own, named as skopeo's --cert-dir wants them.
    var clientDir: String { dir + "/client" }
    var clientCert: String { clientDir + "/client.cert" }
    var clientKey: String { clientDir + "/client.key" }

    static func make(in dir: String) async throws -> TestCertificates {
        try FileSystem.makeDirectories(dir + "/client", mode: 0o700)
        let certs = TestCertificates(dir: dir)
        let ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
        try await Tool.run("/usr/bin/openssl", ["req", "-x509"] + ec + ["-keyout", dir + "/ca.key", "-out", certs.caCert,
                                                 "-days", "2", "-subj", "/CN=corral test CA"])
        try FileSystem.writeAtomically(dir + "/server.ext", Array("subjectAltName=IP:127.0.0.1\n".utf8))
        try FileSystem.writeAtomically(dir + "/client.ext", Array("extendedKeyUsage=clientAuth\n".utf8))
        for (name, subject) in [("server", "/CN=127.0.0.1"), ("client", "/CN=corral test client")] {
            let key = name == "server" ? certs.serverKey : certs.clientKey
            try await Tool.run("/usr/bin/openssl", ["req"] + ec + ["-keyout", key, "-out", dir + "/\(name).csr", "-subj", subject])
            try await Tool.run("/usr/bin/openssl", ["x509", "-req", "-in", dir + "/\(name).csr", "-CA", certs.caCert,
                                                     "-CAkey", dir + "/ca.key", "-CAcreateserial", "-days", "2",
                                                     "-extfile", dir + "/\(name).ext",
                                                     "-out", name == "server" ? certs.serverCert : certs.clientCert])
        }
        return certs
    }
}
