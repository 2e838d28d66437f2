import NIOCore

/// One forwarded connection as kubectl port-forward opens it (an error stream it closes at once,
/// then the data stream), moving `bytes` one way. Returns MiB/s from the data stream's opening
/// until the last byte arrived at the client (download) or the pod said it had them all
/// (upload). How the connection ends afterwards is left out: containerd holds a finished
/// connection open for a second, waiting for the other side.
enum PortForwardThroughput {
    /// client-go's port forwarder copies with 32 KiB buffers, so its data frames are this big.
    static let frameSize = 32 << 10

    static func download(_ cri: CRIConnection, pod: String, bytes: Int) async throws -> Double {
        try await forward(cri, pod: pod, port: StreamPod.sourcePort, bytes: bytes, until: bytes) { _, data in
            let result = try await data.reached.get()
            guard result.count == bytes else { throw BenchFailure("downloaded \(result.count) bytes of \(bytes)") }
        }
    }

    static func upload(_ cri: CRIConnection, pod: String, bytes: Int) async throws -> Double {
        let answer = "done\n"
        return try await forward(cri, pod: pod, port: StreamPod.sinkPort, bytes: bytes, until: answer.utf8.count) { client, data in
            let chunk = ByteBuffer(repeating: 0, count: frameSize)
            var inFlight: EventLoopFuture<Void>?
            for frame in 0..<(bytes / frameSize) {
                inFlight = client.send(stream: data.id, chunk)
                // At most 1 MiB handed to NIO and not yet to the kernel: TCP paces the rest.
                if frame % 32 == 31 { try await inFlight?.get() }
            }
            try await inFlight?.get()
            let reply = String(decoding: try await data.reached.get().bytes, as: UTF8.self)
            guard reply == answer else { throw BenchFailure("the sink answered \(reply.debugDescription)") }
        }
    }

    private static func forward(_ cri: CRIConnection, pod: String, port: Int32, bytes: Int, until: Int,
                                _ body: (SPDYClient, OpenedStream) async throws -> Void) async throws -> Double {
        let url = try await cri.portForwardURL(pod, port: port)
        let client = try await SPDYClient.connect(url, streamProtocol: "portforward.k8s.io")
        do {
            let headers = { (type: String) in [("streamType", type), ("port", "\(port)"), ("requestID", "0")] }
            let error = try await client.openStream(headers("error"))
            try await client.finish(stream: error.id)
            let clock = ContinuousClock()
            let start = clock.now
            let data = try await client.openStream(headers("data"), keep: until < bytes, until: until)
            try await body(client, data)
            let elapsed = start.duration(to: clock.now)
            try? await client.finish(stream: data.id)
            await client.close()
            let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
            return Double(bytes) / 1_048_576 / seconds
        } catch {
            await client.close()
            throw error
        }
    }
}
