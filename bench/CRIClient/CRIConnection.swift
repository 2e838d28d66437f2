import CRIGRPC
import GRPCCore
import GRPCNIOTransportHTTP2Posix

/// The runtime and image services over one HTTP/2 connection, as kubelet holds them.
public struct CRIConnection: Sendable {
    public typealias Transport = HTTP2ClientTransport.Posix

    public let runtime: Runtime_V1_RuntimeService.Client<Transport>
    public let images: Runtime_V1_ImageService.Client<Transport>

    public init(wrapping client: GRPCClient<Transport>) {
        runtime = .init(wrapping: client)
        images = .init(wrapping: client)
    }

    /// Every call carries a deadline, so a hung runtime fails the bench instead of hanging it.
    public static func deadline(seconds: Int64) -> CallOptions {
        var options = CallOptions.defaults
        options.timeout = .seconds(seconds)
        return options
    }
}
