/// An image reference in Docker's grammar, normalised as containerd and Docker do:
/// `busybox` is `docker.io/library/busybox:latest`, `foo/bar` is `docker.io/foo/bar:latest`.
/// The first component names a registry when it has a `.` or a `:` or is `localhost`.
public struct ImageReference: Sendable, Hashable, CustomStringConvertible {
    public static let dockerHub = "docker.io"
    public static let defaultTag = "latest"

    /// Registry host, with its port if any: `docker.io`, `127.0.0.1:5000`.
    public let domain: String
    /// Repository path inside the registry: `library/busybox`.
    public let path: String
    public let tag: String?
    public let digest: String?

    public init(domain: String, path: String, tag: String?, digest: String?) {
        self.domain = domain
        self.path = path
        self.tag = tag
        self.digest = digest
    }

    /// `docker.io/library/busybox`
    public var name: String { domain + "/" + path }

    /// `name:tag`, when there is a tag.
    public var tagged: String? { tag.map { name + ":" + $0 } }

    /// `name@digest`, when there is a digest.
    public var digested: String? { digest.map { name + "@" + $0 } }

    public var description: String {
        name + (tag.map { ":" + $0 } ?? "") + (digest.map { "@" + $0 } ?? "")
    }

    /// Parses and normalises; a reference without tag or digest gets `latest`.
    public static func parse(_ text: String) throws(ImageError) -> ImageReference {
        try parse(text, defaultTag: defaultTag)
    }

    public static func parse(_ text: String, defaultTag: String?) throws(ImageError) -> ImageReference {
        func invalid(_ reason: String) -> ImageError { .invalidReference(text, reason: reason) }
        guard !text.isEmpty else { throw invalid("empty reference") }
        if isHexID(text) { throw invalid("a 64-digit hexadecimal string is an image id, not a repository name") }
        var rest = Substring(text)

        var digest: String?
        if let at = rest.firstIndex(of: "@") {
            let value = String(rest[rest.index(after: at)...])
            do { digest = try Digest(value).description } catch {
                throw invalid("malformed digest \"\(value)\"")
            }
            rest = rest[..<at]
        }

        var tag: String?
        if let colon = rest.lastIndex(of: ":"), !rest[colon...].contains("/") {
            let value = String(rest[rest.index(after: colon)...])
            guard isTag(value) else { throw invalid("malformed tag \"\(value)\"") }
            tag = value
            rest = rest[..<colon]
        }

        var components = rest.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        guard components.allSatisfy({ !$0.isEmpty }) else { throw invalid("empty path component") }
        var domain = dockerHub
        if components.count > 1, let first = components.first,
           first.contains(".") || first.contains(":") || first == "localhost" {
            guard isDomain(first) else { throw invalid("malformed registry host \"\(first)\"") }
            domain = first
            components.removeFirst()
        }
        if domain == "index.docker.io" || domain == "registry-1.docker.io" { domain = dockerHub }
        for component in components {
            if component.contains(where: \.isUppercase) { throw invalid("repository name must be lowercase") }
            guard isPathComponent(component) else { throw invalid("malformed repository name component \"\(component)\"") }
        }
        if domain == dockerHub && components.count == 1 { components.insert("library", at: 0) }
        let path = components.joined(separator: "/")
        guard domain.count + 1 + path.count <= 255 else { throw invalid("repository name longer than 255 characters") }
        if tag == nil && digest == nil { tag = defaultTag }
        return ImageReference(domain: domain, path: path, tag: tag, digest: digest)
    }

    /// `[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}`
    package static func isTag(_ s: String) -> Bool {
        let bytes = Array(s.utf8)
        guard let first = bytes.first, bytes.count <= 128, isWord(first) else { return false }
        return bytes.allSatisfy { isWord($0) || $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "-") }
    }

    /// `[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*`
    static func isPathComponent(_ s: String) -> Bool {
        let bytes = Array(s.utf8)
        var i = 0
        func alnum(_ b: UInt8) -> Bool { (b >= 97 && b <= 122) || (b >= 48 && b <= 57) }
        func run() -> Bool {
            let start = i
            while i < bytes.count && alnum(bytes[i]) { i += 1 }
            return i > start
        }
        guard run() else { return false }
        while i < bytes.count {
            let start = i
            if bytes[i] == UInt8(ascii: ".") {
                i += 1
            } else if bytes[i] == UInt8(ascii: "_") {
                i += 1
                if i < bytes.count && bytes[i] == UInt8(ascii: "_") { i += 1 }
            } else if bytes[i] == UInt8(ascii: "-") {
                while i < bytes.count && bytes[i] == UInt8(ascii: "-") { i += 1 }
            } else {
                return false
            }
            guard i > start, run() else { return false }
        }
        return true
    }

    /// A host name (labels of letters, digits and inner hyphens) or a bracketed IPv6 address,
    /// with an optional port.
    static func isDomain(_ s: String) -> Bool {
        var host = Substring(s)
        if host.hasPrefix("[") {
            guard let close = host.firstIndex(of: "]") else { return false }
            let address = host[host.index(after: host.startIndex)..<close]
            guard !address.isEmpty, address.allSatisfy({ $0.isHexDigit || $0 == ":" || $0 == "." }) else { return false }
            host = host[host.index(after: close)...]
            if host.isEmpty { return true }
            guard host.hasPrefix(":") else { return false }
            return isPort(host.dropFirst())
        }
        if let colon = host.firstIndex(of: ":") {
            guard isPort(host[host.index(after: colon)...]) else { return false }
            host = host[..<colon]
        }
        let labels = host.split(separator: ".", omittingEmptySubsequences: false)
        return !labels.isEmpty && labels.allSatisfy { label in
            guard let first = label.first, let last = label.last else { return false }
            return first.isASCII && (first.isLetter || first.isNumber) && last.isASCII && (last.isLetter || last.isNumber)
                && label.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-") }
        }
    }

    static func isPort(_ s: Substring) -> Bool {
        !s.isEmpty && s.count <= 5 && s.allSatisfy { $0.isASCII && $0.isNumber }
    }

    static func isWord(_ b: UInt8) -> Bool {
        (b >= 97 && b <= 122) || (b >= 65 && b <= 90) || (b >= 48 && b <= 57) || b == UInt8(ascii: "_")
    }

    /// 64 lowercase hex digits: what an image id looks like without its `sha256:`.
    static func isHexID(_ s: String) -> Bool {
        Digest.isHex(s)
    }
}
