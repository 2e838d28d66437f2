import CorralRegistry

/// Buffers a `ByteSource` for a reader that wants exact counts: tar's 512-byte records.
final class BufferedReader {
    private let source: ByteSource
    private let buffer: UnsafeMutableRawBufferPointer
    private var start = 0
    private var end = 0

    init(_ source: ByteSource, capacity: Int = 1 << 20) {
        self.source = source
        buffer = .allocate(byteCount: capacity, alignment: 16)
    }

    deinit {
        buffer.deallocate()
    }

    /// Makes at least one byte available; false at the end of the stream.
    private func fill() throws(ImageError) -> Bool {
        if start < end { return true }
        start = 0
        end = try source.read(into: buffer)
        return end > 0
    }

    /// Exactly `count` bytes, or nil when the stream ends before the first; a stream that ends
    /// part-way is a truncated archive.
    func readExactly(_ count: Int) throws(ImageError) -> [UInt8]? {
        var out: [UInt8] = []
        out.reserveCapacity(count)
        while out.count < count {
            guard try fill() else {
                if out.isEmpty { return nil }
                throw .invalidImage("tar: archive ends in the middle of a record")
            }
            let n = min(count - out.count, end - start)
            out += UnsafeRawBufferPointer(rebasing: buffer[start..<(start + n)])
            start += n
        }
        return out
    }

    /// Hands `count` bytes to `body` in the pieces the buffer holds them in.
    func stream(_ count: Int64, _ body: (UnsafeRawBufferPointer) throws(ImageError) -> Void) throws(ImageError) {
        var remaining = count
        while remaining > 0 {
            guard try fill() else { throw .invalidImage("tar: archive ends in the middle of a file") }
            let n = Int(min(remaining, Int64(end - start)))
            try body(UnsafeRawBufferPointer(rebasing: buffer[start..<(start + n)]))
            start += n
            remaining -= Int64(n)
        }
    }

    func skip(_ count: Int64) throws(ImageError) {
        try stream(count) { _ in }
    }
}
