import CZlib

/// The test client's own zlib streams for SPDY header blocks, written from the spec rather than
/// shared with the server, so a fault on one side does not hide behind the same fault on the other.
public final class TestDeflate {
    private let stream: UnsafeMutablePointer<z_stream> = {
        let p = UnsafeMutablePointer<z_stream>.allocate(capacity: 1)
        p.initialize(to: z_stream())
        return p
    }()

    public init(dictionary: [UInt8]) {
        precondition(deflateInit_(stream, Z_BEST_COMPRESSION, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK)
        dictionary.withUnsafeBufferPointer { _ = deflateSetDictionary(stream, $0.baseAddress, uInt($0.count)) }
    }

    deinit {
        deflateEnd(stream)
        stream.deallocate()
    }

    public func compress(_ input: [UInt8]) -> [UInt8] {
        var input = input
        var out: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1024)
        input.withUnsafeMutableBufferPointer { inBuf in
            stream.pointee.next_in = inBuf.baseAddress
            stream.pointee.avail_in = uInt(inBuf.count)
            repeat {
                chunk.withUnsafeMutableBufferPointer { outBuf in
                    stream.pointee.next_out = outBuf.baseAddress
                    stream.pointee.avail_out = uInt(outBuf.count)
                    _ = deflate(stream, Z_SYNC_FLUSH)
                }
                out += chunk[..<(chunk.count - Int(stream.pointee.avail_out))]
            } while stream.pointee.avail_out == 0
        }
        return out
    }
}

public final class TestInflate {
    private let stream: UnsafeMutablePointer<z_stream> = {
        let p = UnsafeMutablePointer<z_stream>.allocate(capacity: 1)
        p.initialize(to: z_stream())
        return p
    }()
    private let dictionary: [UInt8]

    public init(dictionary: [UInt8]) {
        self.dictionary = dictionary
        precondition(inflateInit_(stream, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK)
    }

    deinit {
        inflateEnd(stream)
        stream.deallocate()
    }

    public func decompress(_ input: [UInt8]) throws -> [UInt8] {
        var input = input
        var out: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1024)
        var failure: Int32?
        input.withUnsafeMutableBufferPointer { inBuf in
            stream.pointee.next_in = inBuf.baseAddress
            stream.pointee.avail_in = uInt(inBuf.count)
            while true {
                var rc = chunk.withUnsafeMutableBufferPointer { outBuf in
                    stream.pointee.next_out = outBuf.baseAddress
                    stream.pointee.avail_out = uInt(outBuf.count)
                    return inflate(stream, Z_SYNC_FLUSH)
                }
                if rc == Z_NEED_DICT {
                    rc = dictionary.withUnsafeBufferPointer { inflateSetDictionary(stream, $0.baseAddress, uInt($0.count)) }
                    if rc != Z_OK { failure = rc; return }
                    continue
                }
                out += chunk[..<(chunk.count - Int(stream.pointee.avail_out))]
                if rc == Z_BUF_ERROR || (rc == Z_OK && stream.pointee.avail_in == 0 && stream.pointee.avail_out != 0) { return }
                if rc != Z_OK { failure = rc; return }
            }
        }
        if let failure { throw StreamTestFailure("inflate failed: \(failure)") }
        return out
    }
}

/// zlib's Adler-32, for checking the dictionary against the spec's.
public func adler32Checksum(_ bytes: [UInt8]) -> UInt32 {
    bytes.withUnsafeBufferPointer { UInt32(adler32(1, $0.baseAddress, uInt($0.count))) }
}
