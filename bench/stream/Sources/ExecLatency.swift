/// One `kubectl exec POD -- true` without a terminal, the way kubectl makes it: the Exec call
/// for a URL, a SPDY/3.1 upgrade there, the error, stdout and stderr streams (each waiting for
/// the server's reply, as client-go does), then the Status on the error stream and the end of
/// both outputs. Returns milliseconds.
enum ExecLatency {
    static func sample(_ cri: CRIConnection, container: String) async throws -> Double {
        let clock = ContinuousClock()
        let start = clock.now
        let url = try await cri.execURL(container, ["true"])
        let client = try await SPDYClient.connect(url, streamProtocol: "v4.channel.k8s.io")
        do {
            let error = try await client.openStream([("streamType", "error")])
            let stdout = try await client.openStream([("streamType", "stdout")])
            let stderr = try await client.openStream([("streamType", "stderr")])
            let status = try await error.finished.get()
            _ = try await stdout.finished.get()
            _ = try await stderr.finished.get()
            let elapsed = start.duration(to: clock.now)
            await client.close()
            let text = String(decoding: status.bytes, as: UTF8.self)
            guard text.contains(#""status":"Success""#) else { throw BenchFailure("exec of true reported \(text)") }
            return milliseconds(elapsed)
        } catch {
            await client.close()
            throw error
        }
    }

    /// The same process run by ExecSync, which needs no streaming server: what is left of the
    /// round trip is the runtime's exec itself (shim, runc), for telling the two costs apart.
    static func syncSample(_ cri: CRIConnection, container: String) async throws -> Double {
        let clock = ContinuousClock()
        let start = clock.now
        let exit = try await cri.execSync(container, ["true"]).exitCode
        let elapsed = start.duration(to: clock.now)
        guard exit == 0 else { throw BenchFailure("ExecSync of true exited \(exit)") }
        return milliseconds(elapsed)
    }

    static func milliseconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) * 1000 + Double(duration.components.attoseconds) / 1e15
    }
}
