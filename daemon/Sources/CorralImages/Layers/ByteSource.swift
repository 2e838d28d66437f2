import CorralRegistry
import CorralSystem
import struct Crypto.SHA256

/// A pull stream of bytes: the chain from a blob file through decompression and hashing to
/// the tar reader. `read` fills part of the buffer and answers how much, 0 at the end.
protocol ByteSource: AnyObject {
    func read(into buffer: UnsafeMutableRawBufferPointer) throws(ImageError) -> Int
}

/// Reads a file by descriptor; the caller closes it.
final class FileSource: ByteSource {
    private let fd: FileDescriptor
    private let name: String

    init(fd: FileDescriptor, name: String) {
        self.fd = fd
        self.name = name
    }

    func read(into buffer: UnsafeMutableRawBufferPointer) throws(ImageError) -> Int {
        do { return try fd.read(into: buffer, subject: name) } catch { throw .system(error) }
    }
}

/// Bytes already in memory (tests, small payloads).
final class MemorySource: ByteSource {
    private let bytes: [UInt8]
    private var offset = 0

    init(_ bytes: [UInt8]) {
        self.bytes = bytes
    }

    func read(into buffer: UnsafeMutableRawBufferPointer) throws(ImageError) -> Int {
        let n = min(buffer.count, bytes.count - offset)
        guard n > 0 else { return 0 }
        bytes.withUnsafeBytes { raw in
            buffer.baseAddress!.copyMemory(from: raw.baseAddress! + offset, byteCount: n)
        }
        offset += n
        return n
    }
}

/// Hashes and counts what passes through: the diffID of a layer is the sha256 of its
/// uncompressed stream, every byte of it, trailing padding included.
final class DigestingSource: ByteSource {
    private let upstream: ByteSource
    private var hasher = SHA256()
    private(set) var count: Int64 = 0

    init(_ upstream: ByteSource) {
        self.upstream = upstream
    }

    func read(into buffer: UnsafeMutableRawBufferPointer) throws(ImageError) -> Int {
        let n = try upstream.read(into: buffer)
        if n > 0 {
            hasher.update(bufferPointer: UnsafeRawBufferPointer(rebasing: buffer[..<n]))
            count += Int64(n)
        }
        return n
    }

    /// Reads to the end, then answers the digest of everything.
    func drainAndDigest() throws(ImageError) -> Digest {
        let scratch = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 16, alignment: 16)
        defer { scratch.deallocate() }
        while try read(into: scratch) > 0 {}
        return Digest(finishing: hasher)
    }
}
