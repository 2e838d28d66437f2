import CorralSystem
import Foundation
import Synchronization
import TestSupport

#if canImport(Glibc)
import Glibc
#endif

/// A tiny HTTP/1.1 server on 127.0.0.1 for what a real registry will not do on demand:
/// schema 1 manifests, token auth, failures, stalls. One thread per connection, one
/// request per connection.
final class MiniHTTPServer: Sendable {
    struct Request: Sendable {
        var method: String
        var target: String
        var headers: [String: String]
        var body: [UInt8]

        var path: String { String(target.split(separator: "?", maxSplits: 1)[0]) }
        var query: [String: String] {
            guard let q = target.split(separator: "?", maxSplits: 1).dropFirst().first else { return [:] }
            var out: [String: String] = [:]
            for pair in q.split(separator: "&") {
                let kv = pair.split(separator: "=", maxSplits: 1).map { String($0).removingPercentEncoding ?? String($0) }
                if kv.count == 2 { out[kv[0]] = kv[1] }
            }
            return out
        }
    }

    struct Response: Sendable {
        var status: Int
        var headers: [(String, String)] = []
        var body: [UInt8] = []
        /// Close the connection after this many body bytes.
        var dropAfter: Int?
        /// Stop sending after this many body bytes and hold the connection this long.
        var stallAfter: (bytes: Int, seconds: Int)?
    }

    let port: UInt16
    private let fd: Int32
    private let handler: @Sendable (Request) -> Response

    init(handler: @escaping @Sendable (Request) -> Response) throws {
        let (fd, port) = try TCP.listen()
        self.fd = fd
        self.port = port
        self.handler = handler
        BlockingWork.start { [self] in acceptLoop() }
    }

    private let stopped = Atomic<Bool>(false)

    /// Stops accepting. The accept thread closes the socket itself, so its descriptor number
    /// cannot be reused by another server while that thread still listens on it.
    func stop() {
        stopped.store(true, ordering: .sequentiallyConsistent)
        shutdown(fd, Int32(SHUT_RDWR))
    }

    private func acceptLoop() {
        defer { close(fd) }
        while true {
            let connection = accept(fd, nil, nil)
            if stopped.load(ordering: .sequentiallyConsistent) {
                if connection >= 0 { close(connection) }
                return
            }
            if connection < 0 {
                if errno == EINTR { continue }
                return
            }
            BlockingWork.start { [self] in
                serve(connection)
                close(connection)
            }
        }
    }

    private func serve(_ connection: Int32) {
        var data: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        var headerEnd: Int?
        while headerEnd == nil {
            let n = read(connection, &buffer, buffer.count)
            if n <= 0 { return }
            data += buffer[..<n]
            headerEnd = MiniHTTPServer.find([13, 10, 13, 10], in: data)
        }
        let head = String(decoding: data[..<headerEnd!], as: UTF8.self)
        var lines = head.components(separatedBy: "\r\n")
        let requestLine = lines.removeFirst().split(separator: " ")
        guard requestLine.count >= 2 else { return }
        var headers: [String: String] = [:]
        for line in lines {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        var body = Array(data[(headerEnd! + 4)...])
        let length = Int(headers["content-length"] ?? "0") ?? 0
        while body.count < length {
            let n = read(connection, &buffer, buffer.count)
            if n <= 0 { break }
            body += buffer[..<n]
        }
        let response = handler(Request(method: String(requestLine[0]), target: String(requestLine[1]), headers: headers, body: body))
        var text = "HTTP/1.1 \(response.status) X\r\nContent-Length: \(response.body.count)\r\nConnection: close\r\n"
        for (name, value) in response.headers { text += "\(name): \(value)\r\n" }
        text += "\r\n"
        send(connection, Array(text.utf8))
        if requestLine[0] == "HEAD" { return }
        if let drop = response.dropAfter {
            send(connection, Array(response.body.prefix(drop)))
            return
        }
        if let stall = response.stallAfter {
            send(connection, Array(response.body.prefix(stall.bytes)))
            sleep(UInt32(stall.seconds))
            return
        }
        send(connection, response.body)
    }

    /// A client that went away ends the answer.
    private func send(_ connection: Int32, _ bytes: [UInt8]) {
        try? FileDescriptor(rawValue: connection).writeAll(bytes)
    }

    private static func find(_ needle: [UInt8], in haystack: [UInt8]) -> Int? {
        guard haystack.count >= needle.count else { return nil }
        for i in 0...(haystack.count - needle.count) where Array(haystack[i..<(i + needle.count)]) == needle {
            return i
        }
        return nil
    }
}
