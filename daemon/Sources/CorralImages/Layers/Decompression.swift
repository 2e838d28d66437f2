import CZlib
import CZstd
import CorralRegistry

/// The compressions layers come in, told apart by their first bytes rather than the media
/// type, which some registries get wrong.
enum Compression: Sendable, Equatable {
    case none, gzip, zstd

    static func detect(_ prefix: ArraySlice<UInt8>) -> Compression {
        let bytes = Array(prefix)
        if bytes.count >= 2 && bytes[0] == 0x1f && bytes[1] == 0x8b { return .gzip }
        if bytes.count >= 4 && bytes[0] == 0x28 && bytes[1] == 0xb5 && bytes[2] == 0x2f && bytes[3] == 0xfd { return .zstd }
        return .none
    }

    /// Wraps `upstream` in the decompressor its first bytes call for.
    static func decompressing(_ upstream: ByteSource) throws(ImageError) -> ByteSource {
        let peeked = PeekedSource(upstream)
        let prefix = try peeked.peek(4)
        switch detect(prefix[...]) {
        case .none: return peeked
        case .gzip: return try GzipSource(peeked)
        case .zstd: return try ZstdSource(peeked)
        }
    }
}

/// Keeps the first bytes read so that they are read again.
final class PeekedSource: ByteSource {
    private let upstream: ByteSource
    private var pending: [UInt8] = []

    init(_ upstream: ByteSource) {
        self.upstream = upstream
    }

    func peek(_ count: Int) throws(ImageError) -> [UInt8] {
        let scratch = UnsafeMutableRawBufferPointer.allocate(byteCount: count, alignment: 1)
        defer { scratch.deallocate() }
        while pending.count < count {
            let n = try upstream.read(into: UnsafeMutableRawBufferPointer(rebasing: scratch[..<(count - pending.count)]))
            if n == 0 { break }
            pending += scratch[..<n]
        }
        return pending
    }

    func read(into buffer: UnsafeMutableRawBufferPointer) throws(ImageError) -> Int {
        if pending.isEmpty { return try upstream.read(into: buffer) }
        let n = min(buffer.count, pending.count)
        pending.withUnsafeBytes { buffer.baseAddress!.copyMemory(from: $0.baseAddress!, byteCount: n) }
        pending.removeFirst(n)
        return n
    }
}

/// Streaming gzip (zlib's inflate with gzip framing); concatenated members are one stream,
/// as gzip(1) reads them.
final class GzipSource: ByteSource {
    private let upstream: ByteSource
    private let stream: UnsafeMutablePointer<z_stream>
    private let input: UnsafeMutableRawBufferPointer
    private var upstreamDone = false
    private var finished = false

    init(_ upstream: ByteSource) throws(ImageError) {
        self.upstream = upstream
        stream = .allocate(capacity: 1)
        stream.initialize(to: z_stream())
        input = .allocate(byteCount: 1 << 18, alignment: 16)
        // 16 + MAX_WBITS: gzip framing only. inflateInit2 is a macro, so its function is called.
        let rc = inflateInit2_(stream, 16 + MAX_WBITS, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size))
        guard rc == Z_OK else {
            stream.deallocate()
            input.deallocate()
            throw .invalidImage("gzip: cannot initialise inflate (\(rc))")
        }
    }

    deinit {
        inflateEnd(stream)
        stream.deallocate()
        input.deallocate()
    }

    private func refill() throws(ImageError) {
        guard stream.pointee.avail_in == 0, !upstreamDone else { return }
        let n = try upstream.read(into: input)
        if n == 0 { upstreamDone = true }
        stream.pointee.next_in = input.baseAddress!.assumingMemoryBound(to: Bytef.self)
        stream.pointee.avail_in = uInt(n)
    }

    func read(into buffer: UnsafeMutableRawBufferPointer) throws(ImageError) -> Int {
        guard !finished, buffer.count > 0 else { return 0 }
        while true {
            try refill()
            stream.pointee.next_out = buffer.baseAddress!.assumingMemoryBound(to: Bytef.self)
            stream.pointee.avail_out = uInt(buffer.count)
            let rc = inflate(stream, Z_NO_FLUSH)
            let produced = buffer.count - Int(stream.pointee.avail_out)
            switch rc {
            case Z_OK:
                if produced > 0 { return produced }
            case Z_BUF_ERROR:
                if upstreamDone && stream.pointee.avail_in == 0 {
                    throw .invalidImage("gzip: unexpected end of compressed layer")
                }
                if produced > 0 { return produced }
            case Z_STREAM_END:
                try refill()
                if stream.pointee.avail_in > 0 && stream.pointee.next_in.pointee == 0x1f {
                    inflateReset(stream)
                } else {
                    // Anything after the last member (zero padding from some tools) is ignored, as gzip -d does.
                    finished = true
                }
                if produced > 0 || finished { return produced }
            default:
                let message = stream.pointee.msg.map { String(cString: $0) } ?? "error \(rc)"
                throw .invalidImage("gzip: \(message)")
            }
        }
    }
}

/// Streaming zstd; several frames in a row are one stream.
final class ZstdSource: ByteSource {
    private let upstream: ByteSource
    private let context: OpaquePointer
    private let input: UnsafeMutableRawBufferPointer
    private var inBuffer = ZSTD_inBuffer(src: nil, size: 0, pos: 0)
    private var upstreamDone = false
    private var frameOpen = false

    init(_ upstream: ByteSource) throws(ImageError) {
        self.upstream = upstream
        guard let context = ZSTD_createDStream() else { throw .invalidImage("zstd: cannot create a decompression stream") }
        self.context = context
        ZSTD_initDStream(context)
        input = .allocate(byteCount: Int(ZSTD_DStreamInSize()), alignment: 16)
    }

    deinit {
        ZSTD_freeDStream(context)
        input.deallocate()
    }

    func read(into buffer: UnsafeMutableRawBufferPointer) throws(ImageError) -> Int {
        guard buffer.count > 0 else { return 0 }
        while true {
            if inBuffer.pos == inBuffer.size && !upstreamDone {
                let n = try upstream.read(into: input)
                if n == 0 { upstreamDone = true }
                inBuffer = ZSTD_inBuffer(src: UnsafeRawPointer(input.baseAddress), size: n, pos: 0)
            }
            if upstreamDone && inBuffer.pos == inBuffer.size && !frameOpen { return 0 }
            var out = ZSTD_outBuffer(dst: buffer.baseAddress, size: buffer.count, pos: 0)
            let rc = ZSTD_decompressStream(context, &out, &inBuffer)
            if ZSTD_isError(rc) != 0 {
                throw .invalidImage("zstd: " + String(cString: ZSTD_getErrorName(rc)))
            }
            frameOpen = rc != 0
            if out.pos > 0 { return out.pos }
            if upstreamDone && inBuffer.pos == inBuffer.size {
                if frameOpen { throw .invalidImage("zstd: unexpected end of compressed layer") }
                return 0
            }
        }
    }
}
