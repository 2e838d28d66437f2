import Crypto

/// A content digest, `sha256:<64 lowercase hex>`: the only algorithm images use in practice.
public struct Digest: Hashable, Sendable, CustomStringConvertible, Comparable {
    public let hex: String

    public init(_ text: String) throws(ImageError) {
        guard text.hasPrefix("sha256:") else {
            if let colon = text.firstIndex(of: ":"), !text[..<colon].isEmpty {
                throw .unsupported("digest algorithm \"\(text[..<colon])\" is not supported (only sha256)")
            }
            throw .invalidImage("malformed digest \"\(text)\"")
        }
        let hex = String(text.dropFirst(7))
        guard Digest.isHex(hex) else { throw .invalidImage("malformed digest \"\(text)\"") }
        self.hex = hex
    }

    package init(hex: String) {
        self.hex = hex
    }

    public static func of(_ bytes: some Sequence<UInt8>) -> Digest {
        var hasher = SHA256()
        hasher.update(data: Array(bytes))
        return Digest(finishing: hasher)
    }

    package init(finishing hasher: SHA256) {
        hex = Digest.hexString(hasher.finalize())
    }

    public var description: String { "sha256:" + hex }

    public static func < (lhs: Digest, rhs: Digest) -> Bool { lhs.hex < rhs.hex }

    package static func isHex(_ text: String) -> Bool {
        text.utf8.count == 64 && text.utf8.allSatisfy { ($0 >= 48 && $0 <= 57) || ($0 >= 97 && $0 <= 102) }
    }

    static func hexString(_ digest: some Sequence<UInt8>) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        for byte in digest {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 15)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}
