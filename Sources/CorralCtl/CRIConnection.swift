import AdminAPI
import ArgumentParser
import CRIAPI
import CRIGRPC
import CorralSystem
import GRPCCore
import GRPCNIOTransportHTTP2Posix

/// Options of the commands that talk to corrald.
struct CRIOptions: ParsableArguments {
    @Option(help: "Seconds to wait for each CRI call.")
    var timeout: Double = 10
}

typealias RuntimeClient = Runtime_V1_RuntimeService.Client<HTTP2ClientTransport.Posix>
typealias ImageClient = Runtime_V1_ImageService.Client<HTTP2ClientTransport.Posix>
typealias AdminImagesClient = Corral_Admin_V1_Images.Client<HTTP2ClientTransport.Posix>

/// The two CRI services and corrald's admin service on one connection, and the options every
/// call carries.
struct CRI {
    let runtime: RuntimeClient
    let images: ImageClient
    let admin: AdminImagesClient
    let options: CallOptions
}

/// One gRPC connection to corrald for the length of a command, closed gracefully at the end.
struct CRIConnection {
    let socketPath: String
    /// nil: no deadline (a pull takes as long as the registry does).
    let timeout: Duration?

    init(_ daemon: DaemonOptions, _ options: CRIOptions) throws {
        socketPath = try daemon.socketPath()
        timeout = .milliseconds(Int64(options.timeout * 1000))
    }

    init(socketPath: String, timeout: Duration?) {
        self.socketPath = socketPath
        self.timeout = timeout
    }

    /// For calls that take as long as their work does (pulls, imports): `seconds` 0 is no deadline.
    init(_ daemon: DaemonOptions, seconds: Double) throws {
        self.init(socketPath: try daemon.socketPath(), timeout: seconds > 0 ? .milliseconds(Int64(seconds * 1000)) : nil)
    }

    func run<T: Sendable>(_ body: (CRI) async throws -> T) async throws -> T {
        guard FileSystem.exists(socketPath) else { throw CRIUnreachable(socketPath: socketPath, reason: "no socket") }
        var config = HTTP2ClientTransport.Posix.Config.defaults
        config.http2.maxFrameSize = 1 << 20
        let transport = try HTTP2ClientTransport.Posix(target: .unixDomainSocket(path: socketPath),
                                                       transportSecurity: .plaintext, config: config)
        var options = CallOptions.defaults
        options.timeout = timeout
        // Fail at once on a dead socket rather than wait out the deadline reconnecting.
        options.waitForReady = false
        options.maxResponseMessageBytes = 64 << 20
        do {
            return try await withGRPCClient(transport: transport) { client in
                try await body(CRI(runtime: RuntimeClient(wrapping: client), images: ImageClient(wrapping: client),
                                   admin: AdminImagesClient(wrapping: client), options: options))
            }
        } catch let error as RPCError where error.code == .unavailable {
            throw CRIUnreachable(socketPath: socketPath, reason: error.message)
        } catch let error as RPCError {
            throw CRICallFailed(error: error)
        }
    }
}

/// What an operator sees when corrald cannot be reached: the cause and how to fix it.
struct CRIUnreachable: Error, CustomStringConvertible {
    let socketPath: String
    let reason: String
    var description: String {
        "corrald is not running (\(socketPath): \(reason)): start it with scripts/run.sh or systemctl start corrald"
    }
}

/// A CRI call corrald refused: its status code and message, no stack.
struct CRICallFailed: Error, CustomStringConvertible {
    let error: RPCError
    var code: RPCError.Code { error.code }
    var description: String { "corrald: \(error.code): \(error.message)" }
}
