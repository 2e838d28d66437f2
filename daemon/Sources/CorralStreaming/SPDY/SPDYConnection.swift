import CorralSystem
import NIOCore

/// What the protocol sessions hold of a SPDY connection: a way onto its event loop.
final class SPDYConnection: Sendable {
    let channel: any Channel
    private let handler: NIOLoopBound<SPDYConnectionHandler>

    init(channel: any Channel, handler: NIOLoopBound<SPDYConnectionHandler>) {
        self.channel = channel
        self.handler = handler
    }

    func write(streamID: UInt32, bytes: [UInt8]) async throws {
        let handler = self.handler
        do {
            try await channel.eventLoop.flatSubmit { handler.value.send(streamID: streamID, bytes: bytes) }.get()
        } catch {
            throw StreamClosedError()
        }
    }

    func finish(streamID: UInt32) async {
        let handler = self.handler
        try? await channel.eventLoop.flatSubmit { handler.value.finish(streamID: streamID) }.get()
    }

    func reset(streamID: UInt32) async {
        let handler = self.handler
        try? await channel.eventLoop.flatSubmit { handler.value.reset(streamID: streamID) }.get()
    }

    /// Ends the connection politely: GOAWAY, then our half of TCP (everything written so far
    /// still arrives), then waits up to `drain` for the client to hang up before closing.
    func close(drain: Duration) async {
        let handler = self.handler
        let channel = self.channel
        try? await channel.eventLoop.flatSubmit { handler.value.goAway() }.get()
        try? await channel.close(mode: .output).get()
        let hangUp = channel.eventLoop.scheduleTask(in: .nanoseconds(Int64(drain.nanoseconds))) { channel.close(promise: nil) }
        try? await channel.closeFuture.get()
        hangUp.cancel()
    }
}

/// One stream the client opened, already answered.
final class SPDYStream: Sendable {
    let id: UInt32
    let headers: SPDYHeaders
    /// What the client sends on it.
    let inbound: InboundBytes
    let connection: SPDYConnection

    init(id: UInt32, headers: SPDYHeaders, inbound: InboundBytes, connection: SPDYConnection) {
        self.id = id
        self.headers = headers
        self.inbound = inbound
        self.connection = connection
    }

    var type: String? { headers[StreamHeader.streamType] }

    func write(_ bytes: [UInt8]) async throws {
        try await connection.write(streamID: id, bytes: bytes)
    }

    func close() async {
        await connection.finish(streamID: id)
    }

    var writer: StreamWriter {
        let connection = self.connection
        let id = self.id
        return StreamWriter(write: { try await connection.write(streamID: id, bytes: $0) },
                            close: { await connection.finish(streamID: id) })
    }
}
