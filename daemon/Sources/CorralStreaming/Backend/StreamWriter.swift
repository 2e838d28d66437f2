/// The sending half of one stream to the client.
///
/// `write` returns once the bytes are handed to the kernel, so a writer that awaits each write
/// goes no faster than the client reads. It throws `StreamClosedError` once the client reset
/// the stream or the connection is gone: stop producing then.
public struct StreamWriter: Sendable {
    private let writeBody: @Sendable ([UInt8]) async throws -> Void
    private let closeBody: @Sendable () async -> Void

    public init(write: @escaping @Sendable ([UInt8]) async throws -> Void, close: @escaping @Sendable () async -> Void) {
        self.writeBody = write
        self.closeBody = close
    }

    public func write(_ bytes: [UInt8]) async throws {
        try await writeBody(bytes)
    }

    /// Ends this stream's sending side (the client reads end-of-file). Idempotent.
    public func close() async {
        await closeBody()
    }
}

/// Written to a stream the client reset, or after the connection closed.
public struct StreamClosedError: Error, CustomStringConvertible {
    public init() {}
    public var description: String { "the client closed the stream" }
}
