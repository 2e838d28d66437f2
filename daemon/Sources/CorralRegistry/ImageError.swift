import CorralSystem

/// What went wrong with an image, worded for the user who asked for it.
public enum ImageError: Error, Sendable, Equatable, CustomStringConvertible {
    case notFound(String)
    case invalidReference(String, reason: String? = nil)
    case unsupported(String)
    case digestMismatch(expected: String, actual: String)
    case sizeMismatch(digest: String, expected: Int64, actual: Int64)
    case invalidImage(String)
    case invalidArgument(String)
    case registry(status: Int, message: String)
    case unreachable(String)
    case timeout(String)
    case system(SystemError)
    /// A layer that arrived whole could not be unpacked (a full disk, say).
    case unpack(layer: String, reason: String)

    public var description: String {
        switch self {
        case .notFound(let what): "image \"\(what)\" not found"
        case .invalidReference(let ref, let reason): "invalid reference \"\(ref)\"" + (reason.map { ": " + $0 } ?? "")
        case .unsupported(let why): why
        case .digestMismatch(let expected, let actual): "digest mismatch: expected \(expected), got \(actual)"
        case .sizeMismatch(let digest, let expected, let actual): "size mismatch for \(digest): expected \(expected) bytes, got \(actual)"
        case .invalidImage(let why): "invalid image: \(why)"
        case .invalidArgument(let why): why
        case .registry(let status, let message): "registry answered \(status): \(message)"
        case .unreachable(let why): why
        case .timeout(let why): why
        case .system(let error): error.description
        case .unpack(let layer, let reason): "unpacking layer \(layer): \(reason)"
        }
    }
}
