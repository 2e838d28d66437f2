import CorralSystem
import SwiftProtobuf
import TTRPCWire

/// What a handler knows about the call it serves.
public struct CallContext: Sendable {
    public let service: String
    public let method: String
    public let metadata: [(key: String, value: String)]
    /// When the caller stops waiting (monotonic nanoseconds), if it said.
    public let deadline: UInt64?
    public let peer: PeerCredentials

    public func metadata(_ key: String) -> [String] {
        metadata.filter { $0.key == key }.map(\.value)
    }
}

/// Sends the messages of a server stream.
public struct StreamWriter: Sendable {
    let sendPayload: @Sendable ([UInt8]) throws(RPCError) -> Void

    public func send(_ message: some Message) throws(RPCError) {
        try sendPayload(message.bytes())
    }

    public func send(bytes: [UInt8]) throws(RPCError) {
        try sendPayload(bytes)
    }
}

/// A method's handler, on raw payloads.
public enum MethodHandler: Sendable {
    case unary(@Sendable (CallContext, [UInt8]) async throws -> [UInt8])
    case serverStream(@Sendable (CallContext, [UInt8], StreamWriter) async throws -> Void)
}

/// The address of one method and the message types it takes and returns.
public struct Method<Request: Message, Response: Message>: Sendable {
    public let service: String
    public let name: String
    public init(service: String, name: String) {
        self.service = service
        self.name = name
    }
}

/// The handlers of one ttrpc service, by method name.
public struct Service: Sendable {
    public let name: String
    public private(set) var handlers: [String: MethodHandler] = [:]

    public init(name: String) {
        self.name = name
    }

    public mutating func unary<Req, Resp>(
        _ method: Method<Req, Resp>,
        _ body: @escaping @Sendable (CallContext, Req) async throws -> Resp
    ) {
        precondition(method.service == name, "\(method.name) belongs to \(method.service), not \(name)")
        handlers[method.name] = .unary { context, payload in
            let request: Req
            do {
                request = try Req(serializedBytes: payload)
            } catch {
                throw RPCError(.invalidArgument, "\(method.service)/\(method.name): undecodable request: \(error)")
            }
            return try await body(context, request).bytes()
        }
    }

    public mutating func serverStream<Req, Resp>(
        _ method: Method<Req, Resp>,
        _ body: @escaping @Sendable (CallContext, Req, TypedStreamWriter<Resp>) async throws -> Void
    ) {
        precondition(method.service == name, "\(method.name) belongs to \(method.service), not \(name)")
        handlers[method.name] = .serverStream { context, payload, writer in
            let request: Req
            do {
                request = try Req(serializedBytes: payload)
            } catch {
                throw RPCError(.invalidArgument, "\(method.service)/\(method.name): undecodable request: \(error)")
            }
            try await body(context, request, TypedStreamWriter(writer: writer))
        }
    }
}

public struct TypedStreamWriter<Message: SwiftProtobuf.Message>: Sendable {
    let writer: StreamWriter
    public func send(_ message: Message) throws(RPCError) {
        try writer.send(message)
    }
}
