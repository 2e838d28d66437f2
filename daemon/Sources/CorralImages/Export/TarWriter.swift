#if canImport(Glibc)
import Glibc
#endif
import CorralSystem

/// Writes a ustar archive of directories and regular files: what an OCI layout needs and no
/// more. Names stay under ustar's 100 bytes (`blobs/sha256/<64 hex>` is 77).
struct TarWriter {
    private let output: FileDescriptor
    private static let block = 512

    init(_ output: FileDescriptor) {
        self.output = output
    }

    func directory(_ name: String) throws(SystemError) {
        try output.writeAll(Self.header(name: name.hasSuffix("/") ? name : name + "/", size: 0, mode: 0o755, type: "5"))
    }

    func file(_ name: String, bytes: [UInt8]) throws(SystemError) {
        try output.writeAll(Self.header(name: name, size: bytes.count, mode: 0o644, type: "0"))
        try output.writeAll(bytes)
        try pad(bytes.count)
    }

    /// A member whose content is copied from `path`, which must hold exactly `size` bytes.
    func file(_ name: String, copying path: String, size: Int) throws(SystemError) {
        let input = try FileDescriptor.open(path, O_RDONLY | O_CLOEXEC)
        defer { input.close() }
        try output.writeAll(Self.header(name: name, size: size, mode: 0o644, type: "0"))
        var copied = 0
        while copied < size {
            let chunk = try input.read(upTo: min(1 << 20, size - copied))
            guard !chunk.isEmpty else { throw SystemError("read", path + " (shorter than its \(size) bytes)", errno: EIO) }
            try output.writeAll(chunk)
            copied += chunk.count
        }
        try pad(size)
    }

    /// Two zero blocks end the archive.
    func finish() throws(SystemError) {
        try output.writeAll([UInt8](repeating: 0, count: 2 * Self.block))
    }

    private func pad(_ size: Int) throws(SystemError) {
        let rest = size % Self.block
        if rest != 0 { try output.writeAll([UInt8](repeating: 0, count: Self.block - rest)) }
    }

    static func header(name: String, size: Int, mode: Int, type: Character) -> [UInt8] {
        var header = [UInt8](repeating: 0, count: block)
        func put(_ text: String, at offset: Int, width: Int) {
            for (index, byte) in text.utf8.prefix(width).enumerated() { header[offset + index] = byte }
        }
        func octal(_ value: Int, at offset: Int, width: Int) {
            let digits = String(value, radix: 8)
            put(String(repeating: "0", count: max(0, width - 1 - digits.count)) + digits, at: offset, width: width - 1)
        }
        put(name, at: 0, width: 100)
        octal(mode, at: 100, width: 8)
        octal(0, at: 108, width: 8)   // uid
        octal(0, at: 116, width: 8)   // gid
        octal(size, at: 124, width: 12)
        octal(0, at: 136, width: 12)  // mtime: archives of the same images are the same bytes
        header[156] = type.asciiValue ?? UInt8(ascii: "0")
        put("ustar", at: 257, width: 6)
        put("00", at: 263, width: 2)
        // The checksum is computed with its own field as spaces.
        for index in 148..<156 { header[index] = UInt8(ascii: " ") }
        let sum = header.reduce(0) { $0 + Int($1) }
        let digits = String(sum, radix: 8)
        put(String(repeating: "0", count: max(0, 6 - digits.count)) + digits, at: 148, width: 6)
        header[154] = 0
        header[155] = UInt8(ascii: " ")
        return header
    }
}
