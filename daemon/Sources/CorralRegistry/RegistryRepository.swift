import AsyncHTTPClient
import Logging
import NIOCore
import NIOHTTP1
import NIOSSL
import OCISpec
import Synchronization

/// One repository of one registry, reached through its endpoints in order.
package struct RegistryRepository: Sendable {
    package let client: RegistryClient
    /// The path inside the registry: `library/busybox`.
    let name: String
    let registry: String
    let endpoints: [RegistryEndpoint]
    let credentials: RegistryCredentials?
    /// The endpoint that answered last: later requests of the same pull start there.
    let preferred = PreferredEndpoint()

    var scope: String { "repository:\(name):pull" }
    private var configuration: RegistryConfiguration { client.configuration }
    private var logger: Logger { client.logger }

    package struct Manifest: Sendable {
        package var bytes: [UInt8]
        package var mediaType: String
        package var digest: Digest
    }

    /// A manifest or index by tag or digest, its digest checked.
    package func manifest(_ reference: String, what: String) async throws -> Manifest {
        let expected = reference.hasPrefix("sha256:") ? try Digest(reference) : nil
        return try await acrossEndpoints(what) { endpoint in
            try await withRetries(what) {
                let response = try await client.send(.GET, endpoint.url(name, "manifests", reference), endpoint: endpoint, scope: scope,
                                                      credentials: credentials, headers: [("Accept", RegistryClient.manifestAccept)],
                                                      deadline: configuration.progressTimeout)
                let body: ByteBuffer
                do { body = try await response.body.collect(upTo: 8 << 20) } catch {
                    if error is NIOTooManyBytesError { throw ImageError.invalidImage("\(what): manifest larger than 8 MiB") }
                    throw error
                }
                try check(response, body: body, what: what, isManifest: true)
                let bytes = Array(buffer: body)
                let digest = Digest.of(bytes)
                if let expected, digest != expected {
                    throw ImageError.digestMismatch(expected: expected.description, actual: digest.description)
                }
                if let header = response.headers.first(name: "Docker-Content-Digest"), header.hasPrefix("sha256:"), header != digest.description {
                    throw ImageError.digestMismatch(expected: header, actual: digest.description)
                }
                let declared = response.headers.first(name: "Content-Type").map { String($0.split(separator: ";")[0]).trimmingSpaces } ?? ""
                let mediaType = MediaType.isIndex(declared) || MediaType.isManifest(declared) || MediaType.isSchema1(declared)
                    ? declared : (JSONCoding.mediaType(of: bytes) ?? declared)
                return Manifest(bytes: bytes, mediaType: mediaType, digest: digest)
            }
        }
    }

    /// Streams a blob into `writer` until it has all `descriptor.size` bytes; resumes an
    /// interrupted download with a Range request where the server allows it. The caller
    /// verifies and keeps what the writer took.
    package func fetchBlob(_ descriptor: Descriptor, into writer: some BlobSink, watchdog: ProgressWatchdog) async throws {
        let digest = try Digest(descriptor.digest)
        let what = "blob \(digest) of \(registry)/\(name)"
        try await acrossEndpoints(what) { endpoint in
            try await withRetries(what) {
                var headers: [(String, String)] = []
                if writer.written > 0 { headers.append(("Range", "bytes=\(writer.written)-")) }
                let response = try await client.send(.GET, endpoint.url(name, "blobs", digest.description), endpoint: endpoint,
                                                      scope: scope, credentials: credentials, headers: headers,
                                                      deadline: configuration.progressTimeout)
                switch response.status {
                case .ok:
                    if writer.written > 0 { try writer.reset() }
                case .partialContent:
                    let range = response.headers.first(name: "Content-Range") ?? ""
                    guard range.hasPrefix("bytes \(writer.written)-") else {
                        try writer.reset()
                        throw ImageError.unreachable("\(what): server resumed at the wrong place (\(range))")
                    }
                case .rangeNotSatisfiable:
                    try writer.reset()
                    throw ImageError.unreachable("\(what): server refused to resume")
                default:
                    let body = try? await response.body.collect(upTo: 64 << 10)
                    try check(response, body: body ?? ByteBuffer(), what: what, isManifest: false)
                }
                do {
                    for try await chunk in response.body {
                        try chunk.withUnsafeReadableBytes { try writer.write($0) }
                        watchdog.touch()
                        if writer.written > descriptor.size { break }
                    }
                } catch let error as CancellationError {
                    throw error
                } catch {
                    throw ImageError.unreachable("\(what): download interrupted after \(writer.written) bytes: \(error)")
                }
                if writer.written < descriptor.size {
                    throw ImageError.unreachable("\(what): download ended after \(writer.written) of \(descriptor.size) bytes")
                }
            }
        }
    }

    /// Turns a failed answer into the error to show.
    private func check(_ response: HTTPClientResponse, body: ByteBuffer, what: String, isManifest: Bool) throws {
        let code = Int(response.status.code)
        guard !(200..<300).contains(code) else { return }
        let message = RegistryClient.errorMessage(body)
        switch code {
        case 404 where isManifest:
            client.logger.debug("manifest not found", metadata: ["what": "\(what)", "registry": "\(message)"])
            throw ImageError.notFound(what)
        case 404: throw ImageError.registry(status: 404, message: "\(what) is missing from the registry (\(message))")
        case 401, 403: throw ImageError.registry(status: code, message: "\(what): access denied (\(message))")
        default: throw ImageError.registry(status: code, message: "\(what): \(message)")
        }
    }

    /// Tries each endpoint in turn; answers from the first that succeeds. A mirror that
    /// fails in any way gives way to the next; the last failure is the one reported.
    private func acrossEndpoints<T>(_ what: String, _ body: (RegistryEndpoint) async throws -> T) async throws -> T {
        var lastError: (any Error)?
        let first = preferred.index
        let order = endpoints.indices.sorted { ($0 == first ? 0 : 1, $0) < ($1 == first ? 0 : 1, $1) }
        for index in order {
            let endpoint = endpoints[index]
            do {
                let result = try await body(endpoint)
                preferred.index = index
                return result
            } catch {
                if error is CancellationError || Task.isCancelled { throw error }
                if case ImageError.unsupported = error { throw error }
                if case ImageError.timeout = error { throw error }
                logger.debug("registry endpoint failed", metadata: ["endpoint": "\(endpoint)", "what": "\(what)", "error": "\(error)"])
                lastError = error
            }
        }
        throw RegistryRepository.describe(lastError ?? ImageError.unreachable("\(what): no endpoint"), what: what, endpoints: endpoints)
    }

    private func withRetries<T>(_ what: String, _ body: () async throws -> T) async throws -> T {
        var attempt = 0
        while true {
            do {
                return try await body()
            } catch {
                attempt += 1
                guard attempt < configuration.retries, RegistryClient.isTransient(error), !Task.isCancelled else { throw error }
                let delay = Duration.milliseconds(min(5000, 200 << attempt))
                logger.debug("retrying", metadata: ["what": "\(what)", "attempt": "\(attempt)", "error": "\(error)"])
                try await Task.sleep(for: delay)
            }
        }
    }

    /// Transport errors come out of NIO in its own words; say which endpoint was unreachable.
    static func describe(_ error: any Error, what: String, endpoints: [RegistryEndpoint]) -> any Error {
        if error is ImageError { return error }
        if error is NIOSSLError || error is BoringSSLError {
            return ImageError.unreachable("\(what): TLS with \(endpoints.map(\.base).joined(separator: ", ")) failed: \(error) "
                                          + "(a registry with a private CA needs ca_file, or insecure_skip_verify, in its host settings)")
        }
        return ImageError.unreachable("\(what): cannot reach \(endpoints.map(\.base).joined(separator: ", ")): \(error)")
    }
}

/// Which endpoint of a repository answered last.
final class PreferredEndpoint: Sendable {
    private let value = Mutex(0)

    var index: Int {
        get { value.withLock { $0 } }
        set { value.withLock { $0 = newValue } }
    }
}
