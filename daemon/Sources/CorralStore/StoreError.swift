/// Why a metadata change was refused. The CRI service maps these to gRPC codes
/// (nameReserved/idExists → ALREADY_EXISTS, notFound → NOT_FOUND, database → INTERNAL).
public enum StoreError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The reservation key is held by another sandbox or container, whose id is given.
    case nameReserved(name: String, byID: String)
    case idExists(String)
    /// The record, or for a container insert the sandbox it names, does not exist.
    case notFound(String)
    case database(String)

    public var description: String {
        switch self {
        case .nameReserved(let name, let id): "name \"\(name)\" is reserved for \(id)"
        case .idExists(let id): "id \(id) already exists"
        case .notFound(let id): "\(id) not found"
        case .database(let message): "metadata store: \(message)"
        }
    }
}
