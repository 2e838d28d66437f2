import AdminAPI
import CRIAPI
import CRIGRPC
import GRPCCore
import GRPCNIOTransportHTTP2Posix

/// A CRI client on corrald's socket, as kubelet and crictl hold one: one connection, many calls.
final class CRIClient: Sendable {
    let grpc: GRPCClient<HTTP2ClientTransport.Posix>
    let runtime: Runtime_V1_RuntimeService.Client<HTTP2ClientTransport.Posix>
    let images: Runtime_V1_ImageService.Client<HTTP2ClientTransport.Posix>
    /// corrald's own image service beside the CRI, as corralctl uses it.
    let admin: Corral_Admin_V1_Images.Client<HTTP2ClientTransport.Posix>
    private let connections: Task<Void, any Error>

    init(socket: String) throws {
        var config = HTTP2ClientTransport.Posix.Config.defaults
        config.http2.maxFrameSize = 1 << 20
        let transport = try HTTP2ClientTransport.Posix(target: .unixDomainSocket(path: socket),
                                                       transportSecurity: .plaintext, config: config)
        let grpc = GRPCClient(transport: transport)
        self.grpc = grpc
        runtime = Runtime_V1_RuntimeService.Client(wrapping: grpc)
        images = Runtime_V1_ImageService.Client(wrapping: grpc)
        admin = Corral_Admin_V1_Images.Client(wrapping: grpc)
        connections = Task { try await grpc.runConnections() }
    }

    func close() {
        grpc.beginGracefulShutdown()
    }

    deinit {
        grpc.beginGracefulShutdown()
    }
}

/// The status code a call failed with (nil when it did not fail).
func statusCode(of body: () async throws -> Void) async -> RPCError.Code? {
    do {
        try await body()
        return nil
    } catch let error as RPCError {
        return error.code
    } catch {
        return .unknown
    }
}
