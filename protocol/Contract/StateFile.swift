import CorralJSON
import CorralSystem

/// A JSON object the shim keeps in its state dir: written whole (temp file, fsync, rename, fsync
/// of the dir) so a reader finds the old record or the new one, never a part.
public protocol StateFile: Sendable {
    var json: JSONObject { get }
    init?(json: JSONObject)
}

extension StateFile {
    public func write(to path: String) throws(SystemError) {
        try FileSystem.writeAtomically(path, JSONValue.object(json).serializedBytes(), mode: 0o600)
    }

    /// nil when the file is missing or is not this record.
    public static func read(from path: String) -> Self? {
        guard let bytes = try? FileSystem.readFile(path, limit: 4 << 20),
              case .object(let object)? = try? JSONValue(parsing: bytes) else { return nil }
        return Self(json: object)
    }
}

extension JSONObject {
    func text(_ key: String) -> String { self[key]?.string ?? "" }
    func integer(_ key: String) -> Int64 { self[key]?.int64 ?? 0 }
}
