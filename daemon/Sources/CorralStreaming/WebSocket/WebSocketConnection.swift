import CorralSystem
import NIOCore

/// What the WebSocket sessions hold of a connection: its channels, and a way onto its loop.
final class WebSocketConnection: Sendable {
    let channel: any Channel
    /// What the client sends, by channel number: only the channels the session reads.
    let inbound: [UInt8: InboundBytes]
    private let handler: NIOLoopBound<WebSocketChannelHandler>

    init(channel: any Channel, inbound: [UInt8: InboundBytes], handler: NIOLoopBound<WebSocketChannelHandler>) {
        self.channel = channel
        self.inbound = inbound
        self.handler = handler
    }

    func send(channel number: UInt8, _ bytes: [UInt8]) async throws {
        let handler = self.handler
        do {
            try await channel.eventLoop.flatSubmit { handler.value.send(channel: number, bytes: bytes) }.get()
        } catch {
            throw StreamClosedError()
        }
    }

    /// A writer for one channel. WebSocket channels cannot be half-closed, so `close` does
    /// nothing: the session ends them all by closing the connection.
    func writer(channel number: UInt8) -> StreamWriter {
        StreamWriter(write: { try await self.send(channel: number, $0) }, close: {})
    }

    /// Sends a close frame and waits up to `drain` for the client's answer, then hangs up.
    func close(drain: Duration) async {
        let handler = self.handler
        let channel = self.channel
        try? await channel.eventLoop.flatSubmit { handler.value.sendClose() }.get()
        let hangUp = channel.eventLoop.scheduleTask(in: .nanoseconds(drain.nanoseconds)) { channel.close(promise: nil) }
        try? await channel.closeFuture.get()
        hangUp.cancel()
    }
}
