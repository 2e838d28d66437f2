@testable import CorralImages
@testable import CorralRegistry
import Foundation
import OCISpec
import Synchronization

/// A registry served by `MiniHTTPServer` from an OCI layout's blobs, with knobs: Bearer
/// token auth, blob failures and stalls, and request counts.
final class FakeRegistry: Sendable {
    struct Knobs: Sendable {
        /// Username and password the token endpoint wants; nil: anonymous tokens.
        var tokenCredentials: (String, String)?
        var requireToken = false
        /// Answers for blob requests, in turn, before serving normally: "503", "drop", "stall".
        var blobFaults: [String] = []
        /// Serves these bytes in place of a blob (same length, wrong content).
        var corrupt: Set<String> = []
        /// Manifest bodies and content types by tag, replacing the layout's.
        var rawManifests: [String: (type: String, body: [UInt8])] = [:]
    }

    struct Counts: Sendable {
        var tokenRequests = 0
        var blobRequests: [String: Int] = [:]
        var rangeRequests: [String] = []
        var manifestRequests = 0
    }

    let layout: String
    private let knobs: Mutex<Knobs>
    private let counts = Mutex(Counts())
    private let tags: Mutex<[String: String]>
    private let server = Mutex<MiniHTTPServer?>(nil)

    var port: UInt16 { server.withLock { $0!.port } }
    var address: String { "127.0.0.1:\(port)" }
    var stats: Counts { counts.withLock { $0 } }

    init(layout: String, tags: [String: String], knobs: Knobs = Knobs()) throws {
        self.layout = layout
        self.tags = Mutex(tags)
        self.knobs = Mutex(knobs)
        let http = try MiniHTTPServer { [unowned self] request in handle(request) }
        server.withLock { $0 = http }
    }

    func stop() {
        server.withLock { $0?.stop() }
    }

    private func handle(_ request: MiniHTTPServer.Request) -> MiniHTTPServer.Response {
        let knobs = knobs.withLock { $0 }
        if request.path == "/token" {
            counts.withLock { $0.tokenRequests += 1 }
            if let (user, password) = knobs.tokenCredentials {
                let expected = "Basic " + Base64.encode(Array("\(user):\(password)".utf8))
                guard request.headers["authorization"] == expected else {
                    return .init(status: 401, body: Array(#"{"errors":[{"code":"UNAUTHORIZED","message":"bad credentials"}]}"#.utf8))
                }
            }
            guard request.query["service"] == "fake", request.query["scope"]?.hasPrefix("repository:") == true else {
                return .init(status: 400)
            }
            return .init(status: 200, headers: [("Content-Type", "application/json")],
                         body: Array(#"{"access_token":"good-token","expires_in":300}"#.utf8))
        }
        let parts = request.path.split(separator: "/").map(String.init)
        guard parts.first == "v2", parts.count >= 4 else { return .init(status: 404) }
        let name = parts[1..<(parts.count - 2)].joined(separator: "/")
        if knobs.requireToken && request.headers["authorization"] != "Bearer good-token" {
            return .init(status: 401, headers: [
                ("WWW-Authenticate", #"Bearer realm="http://\#(address)/token",service="fake",scope="repository:\#(name):pull""#),
            ], body: Array(#"{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}"#.utf8))
        }
        let kind = parts[parts.count - 2]
        let reference = parts[parts.count - 1]
        if kind == "manifests" {
            counts.withLock { $0.manifestRequests += 1 }
            if let raw = knobs.rawManifests[reference] {
                return .init(status: 200, headers: [("Content-Type", raw.type)], body: raw.body)
            }
            let digest: String? = reference.hasPrefix("sha256:") ? reference : tags.withLock { $0[reference] }
            guard let digest, let bytes = blob(digest) else {
                return .init(status: 404, body: Array(#"{"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown"}]}"#.utf8))
            }
            let type = JSONCoding.mediaType(of: bytes) ?? MediaType.ociManifest
            return .init(status: 200, headers: [("Content-Type", type), ("Docker-Content-Digest", digest)], body: bytes)
        }
        guard kind == "blobs", var bytes = blob(reference) else { return .init(status: 404) }
        let fault: String? = self.knobs.withLock { $0.blobFaults.isEmpty ? nil : $0.blobFaults.removeFirst() }
        counts.withLock { $0.blobRequests[reference, default: 0] += 1 }
        if knobs.corrupt.contains(reference) { bytes = bytes.map { $0 ^ 0x55 } }
        switch fault {
        case "503": return .init(status: 503, body: Array("busy".utf8))
        case "drop": return .init(status: 200, body: bytes, dropAfter: bytes.count / 2)
        case "stall": return .init(status: 200, body: bytes, stallAfter: (bytes.count / 2, 8))
        default: break
        }
        if let range = request.headers["range"], range.hasPrefix("bytes="), range.hasSuffix("-"),
           let start = Int(range.dropFirst(6).dropLast()), start < bytes.count {
            counts.withLock { $0.rangeRequests.append(range) }
            return .init(status: 206, headers: [("Content-Range", "bytes \(start)-\(bytes.count - 1)/\(bytes.count)")],
                         body: Array(bytes[start...]))
        }
        return .init(status: 200, headers: [("Content-Type", "application/octet-stream")], body: bytes)
    }

    private func blob(_ digest: String) -> [UInt8]? {
        guard digest.hasPrefix("sha256:") else { return nil }
        return try? Array(Data(contentsOf: URL(fileURLWithPath: layout + "/blobs/sha256/" + digest.dropFirst(7))))
    }
}
