import Foundation

/// The registry's access log (docker-registry writes a combined-log line per request), read
/// from where it ended before a pull, to count the blob downloads the pull caused.
struct RegistryLog: Sendable {
    let path: String

    /// The log's current size: where the next count starts.
    func offset() -> UInt64 {
        ((try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? NSNumber)?.uint64Value ?? 0
    }

    /// `GET /v2/<repository>/blobs/sha256:…` requests since `offset`, per digest, for the given
    /// repositories only (the lab registry may be serving others at the same time).
    func blobFetches(since offset: UInt64, repositories: Set<String>) throws -> [String: Int] {
        guard let handle = FileHandle(forReadingAtPath: path) else { throw BenchFailure("cannot read the registry log \(path)") }
        defer { try? handle.close() }
        try handle.seek(toOffset: offset)
        let text = String(decoding: try handle.readToEnd() ?? Data(), as: UTF8.self)
        var counts: [String: Int] = [:]
        for line in text.split(separator: "\n") {
            // 127.0.0.1 - - [date] "GET /v2/corralbench/pull-d/blobs/sha256:<hex>?ns=docker.io HTTP/1.1" 200 …
            guard let request = line.range(of: "\"GET /v2/") else { continue }
            let uri = line[request.upperBound...].prefix { $0 != " " && $0 != "?" }
            guard let blobs = uri.range(of: "/blobs/") else { continue }
            let repository = String(uri[..<blobs.lowerBound])
            let digest = String(uri[blobs.upperBound...])
            guard repositories.contains(repository), digest.hasPrefix("sha256:") else { continue }
            counts[digest, default: 0] += 1
        }
        return counts
    }
}
