import CRIAPI
import CRIGRPC
import GRPCCore
import GRPCProtobuf
import SwiftProtobuf

/// runtime.v1.RuntimeService as the server routes it: the generated routes to
/// RuntimeServiceHandler, but ListContainers answers with bytes the service encoded, so an
/// answer it keeps is not encoded again on every call.
struct RuntimeServiceRoutes: RegistrableRPCService {
    let handler: RuntimeServiceHandler

    func registerMethods<Transport: ServerTransport>(with router: inout RPCRouter<Transport>) {
        handler.registerMethods(with: &router)
        router.registerHandler(
            forMethod: Runtime_V1_RuntimeService.Method.ListContainers.descriptor,
            deserializer: ProtobufDeserializer<Runtime_V1_ListContainersRequest>(),
            serializer: EncodedMessageSerializer<Runtime_V1_ListContainersResponse>()
        ) { [handler] request, context in
            let single = try await ServerRequest(stream: request)
            let encoded = try await handler.encodedListContainers(request: single.message, context: context)
            return StreamingServerResponse(single: ServerResponse(message: encoded))
        }
    }
}

/// A message of type `Message`, already in its wire form.
struct EncodedMessage<Message: SwiftProtobuf.Message>: Sendable {
    let bytes: [UInt8]
}

struct EncodedMessageSerializer<Wrapped: SwiftProtobuf.Message>: MessageSerializer {
    func serialize<Bytes: GRPCContiguousBytes>(_ message: EncodedMessage<Wrapped>) throws -> Bytes {
        Bytes(message.bytes)
    }
}
