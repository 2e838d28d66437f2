import CZlib

struct HeaderCompressionError: Error, CustomStringConvertible {
    let description: String
}

/// One direction's zlib stream for SPDY header blocks. SPDY keeps a single compression context
/// per connection and direction, so every block must pass through the same instance, in the
/// order the frames travel; each block ends with a sync flush so the peer can decode it alone.
final class HeaderDeflater {
    private let stream: UnsafeMutablePointer<z_stream>

    init() throws(HeaderCompressionError) {
        stream = .allocate(capacity: 1)
        stream.initialize(to: z_stream())
        // deflateInit is a macro; its function takes the version and struct size explicitly.
        var rc = deflateInit_(stream, Z_DEFAULT_COMPRESSION, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size))
        if rc == Z_OK {
            rc = SPDYDictionary.bytes.withUnsafeBufferPointer {
                deflateSetDictionary(stream, $0.baseAddress, uInt($0.count))
            }
        }
        guard rc == Z_OK else {
            deflateEnd(stream)
            stream.deallocate()
            throw HeaderCompressionError(description: "deflate init failed (\(rc))")
        }
    }

    deinit {
        deflateEnd(stream)
        stream.deallocate()
    }

    func compress(_ input: [UInt8]) throws(HeaderCompressionError) -> [UInt8] {
        var output: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        var input = input
        let rc: Int32 = input.withUnsafeMutableBufferPointer { inBuf in
            stream.pointee.next_in = inBuf.baseAddress
            stream.pointee.avail_in = uInt(inBuf.count)
            while true {
                let rc = chunk.withUnsafeMutableBufferPointer { outBuf in
                    stream.pointee.next_out = outBuf.baseAddress
                    stream.pointee.avail_out = uInt(outBuf.count)
                    return deflate(stream, Z_SYNC_FLUSH)
                }
                // Z_BUF_ERROR: nothing left to do, when the last round filled the buffer exactly.
                if rc == Z_BUF_ERROR && stream.pointee.avail_in == 0 { return Z_OK }
                guard rc == Z_OK else { return rc }
                let produced = chunk.count - Int(stream.pointee.avail_out)
                output += chunk[..<produced]
                // A flush is complete once deflate leaves room in the output buffer.
                if stream.pointee.avail_out != 0 { return Z_OK }
            }
        }
        stream.pointee.next_in = nil
        guard rc == Z_OK else { throw HeaderCompressionError(description: "deflate failed (\(rc))") }
        return output
    }
}

/// The reading direction: one inflate stream for every header block the peer sends.
final class HeaderInflater {
    private let stream: UnsafeMutablePointer<z_stream>
    /// Decompressed size a single block may reach; a few bytes of deflate can expand a
    /// thousandfold, so this bounds what one frame can make us allocate.
    let maxOutput: Int

    init(maxOutput: Int) throws(HeaderCompressionError) {
        self.maxOutput = maxOutput
        stream = .allocate(capacity: 1)
        stream.initialize(to: z_stream())
        let rc = inflateInit_(stream, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size))
        guard rc == Z_OK else {
            stream.deallocate()
            throw HeaderCompressionError(description: "inflate init failed (\(rc))")
        }
    }

    deinit {
        inflateEnd(stream)
        stream.deallocate()
    }

    func decompress(_ input: [UInt8]) throws(HeaderCompressionError) -> [UInt8] {
        var output: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        var input = input
        let failure: String? = input.withUnsafeMutableBufferPointer { inBuf in
            stream.pointee.next_in = inBuf.baseAddress
            stream.pointee.avail_in = uInt(inBuf.count)
            while true {
                var rc = chunk.withUnsafeMutableBufferPointer { outBuf in
                    stream.pointee.next_out = outBuf.baseAddress
                    stream.pointee.avail_out = uInt(outBuf.count)
                    return inflate(stream, Z_SYNC_FLUSH)
                }
                if rc == Z_NEED_DICT {
                    rc = SPDYDictionary.bytes.withUnsafeBufferPointer {
                        inflateSetDictionary(stream, $0.baseAddress, uInt($0.count))
                    }
                    guard rc == Z_OK else { return "the peer's header dictionary is not SPDY/3's" }
                    continue
                }
                let produced = chunk.count - Int(stream.pointee.avail_out)
                output += chunk[..<produced]
                if output.count > maxOutput { return "header block larger than \(maxOutput) bytes" }
                switch rc {
                case Z_OK:
                    if stream.pointee.avail_in == 0 && stream.pointee.avail_out != 0 { return nil }
                case Z_BUF_ERROR:
                    // No progress possible: all input used. A block cut short shows up as a
                    // header block that does not parse.
                    return nil
                case Z_STREAM_END:
                    return "the peer ended its header compression stream"
                default:
                    return stream.pointee.msg.map { String(cString: $0) } ?? "inflate error \(rc)"
                }
            }
        }
        stream.pointee.next_in = nil
        if let failure { throw HeaderCompressionError(description: failure) }
        return output
    }
}
