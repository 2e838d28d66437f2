/// Why a container's spec cannot be made. The daemon maps `invalidArgument` to gRPC
/// INVALID_ARGUMENT and `notFound` to NOT_FOUND; the message names the CRI field at fault.
public enum SpecError: Error, Equatable, Sendable, CustomStringConvertible {
    case invalidArgument(String)
    case notFound(String)

    public var message: String {
        switch self {
        case .invalidArgument(let text), .notFound(let text): text
        }
    }

    public var description: String { message }
}
