#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import SwiftProtobuf
import TTRPCWire

/// Building and reading the ttrpc envelopes.
extension Ttrpc_Response {
    static func ok(_ payload: [UInt8]) -> Ttrpc_Response {
        var response = Ttrpc_Response()
        response.status = Ttrpc_Status()
        response.payload = Data(payload)
        return response
    }

    static func failure(_ error: RPCError) -> Ttrpc_Response {
        var response = Ttrpc_Response()
        response.status.code = error.code.rawValue
        response.status.message = error.message
        return response
    }

    /// The payload, or the status as an error.
    func result() -> Result<[UInt8], RPCError> {
        if hasStatus && status.code != 0 {
            let code = StatusCode(rawValue: status.code) ?? .unknown
            return .failure(RPCError(code, status.message))
        }
        return .success(Array(payload))
    }
}

extension Message {
    func bytes() -> [UInt8] {
        // Serialising a message built in memory cannot fail short of a required field,
        // which proto3 does not have.
        (try? serializedBytes()) ?? []
    }
}
