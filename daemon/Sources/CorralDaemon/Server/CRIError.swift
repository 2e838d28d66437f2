import GRPCCore
import TTRPC

/// A CRI failure: the gRPC status kubelet acts on and a message that names the field or id
/// at fault. Everything the service throws becomes one of these before it leaves the daemon.
struct CRIError: Error, CustomStringConvertible {
    var code: GRPCCore.RPCError.Code
    var message: String

    init(_ code: GRPCCore.RPCError.Code, _ message: String) {
        self.code = code
        self.message = message
    }

    var description: String { "\(code): \(message)" }

    static func invalidArgument(_ message: String) -> CRIError { CRIError(.invalidArgument, message) }
    static func notFound(_ message: String) -> CRIError { CRIError(.notFound, message) }
    static func alreadyExists(_ message: String) -> CRIError { CRIError(.alreadyExists, message) }
    static func failedPrecondition(_ message: String) -> CRIError { CRIError(.failedPrecondition, message) }
    static func unimplemented(_ message: String) -> CRIError { CRIError(.unimplemented, message) }
    static func internalError(_ message: String) -> CRIError { CRIError(.internalError, message) }
    static func unavailable(_ message: String) -> CRIError { CRIError(.unavailable, message) }

    var rpcError: GRPCCore.RPCError { GRPCCore.RPCError(code: code, message: message) }

    /// A shim's answer keeps its status (the codes are gRPC's on both protocols); the message
    /// says which pod's shim and which call, so an operator knows where to look.
    init(shim error: TTRPC.RPCError, pod: String, doing what: String) {
        self.init(Self.code(of: error), "\(what) (pod \(pod)): \(error.message)")
    }

    /// Any error at all, as the status it should travel as.
    static func from(_ error: any Error) -> CRIError {
        switch error {
        case let error as CRIError: return error
        case let error as GRPCCore.RPCError: return CRIError(error.code, error.message)
        case let error as TTRPC.RPCError:
            return CRIError(code(of: error), error.message)
        case is CancellationError: return CRIError(.cancelled, "the call was cancelled")
        default: return CRIError(.internalError, "\(error)")
        }
    }

    private static func code(of error: TTRPC.RPCError) -> GRPCCore.RPCError.Code {
        Status.Code(rawValue: Int(error.code.rawValue)).flatMap { GRPCCore.RPCError.Code($0) } ?? .unknown
    }
}
