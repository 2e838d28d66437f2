import CorralSystem

/// Whole CRI records gathered for one write(2): `<timestamp> <stream> <P|F> <content>\n`.
///
/// All records of a batch share one timestamp, taken when the first is added (as conmon stamps
/// a whole read), which keeps the clock and the formatter off the per-line path. The bytes go
/// into memory the log writer owns and reuses, copied with memcpy: a container flooding its
/// log must cost the shim a copy per byte and little per line, not an allocation per write.
struct RecordBatch {
    /// A batch this large is written out before more is added, so a huge input never sits in memory.
    static let flushThreshold = 64 * 1024
    /// Room for the header: an RFC 3339 timestamp with nanoseconds and the stream's name.
    static let headerRoom = 64

    /// Bytes of memory a batch of records up to `maxLineLength` long needs: one more record
    /// always fits below the threshold, and the header sits at the end.
    static func storageSize(maxLineLength: Int) -> Int {
        flushThreshold + 2 * headerRoom + maxLineLength
    }

    private let storage: UnsafeMutableRawBufferPointer
    private let stream: LogStream
    private var headerLength = 0
    private(set) var count = 0

    /// `storage` holds `storageSize(maxLineLength:)` bytes; no record's content is longer.
    init(stream: LogStream, storage: UnsafeMutableRawBufferPointer) {
        self.stream = stream
        self.storage = storage
    }

    var isFull: Bool { count >= Self.flushThreshold }
    var bytes: UnsafeRawBufferPointer { UnsafeRawBufferPointer(rebasing: storage[..<count]) }

    mutating func append(_ tag: RecordTag, _ head: ArraySlice<UInt8>, _ tail: UnsafeBufferPointer<UInt8>) {
        let base = storage.baseAddress!
        let header = base + (storage.count - Self.headerRoom)
        if headerLength == 0 {
            let text = Array("\(RFC3339.format(wallNanos: Clock.wallNanos)) \(stream) ".utf8.prefix(Self.headerRoom))
            text.withUnsafeBytes { header.copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
            headerLength = text.count
        }
        (base + count).copyMemory(from: header, byteCount: headerLength)
        count += headerLength
        (base + count).storeBytes(of: tag.byte, as: UInt8.self)
        (base + count + 1).storeBytes(of: UInt8(ascii: " "), as: UInt8.self)
        count += 2
        head.withUnsafeBytes { raw in
            if let from = raw.baseAddress, raw.count > 0 {
                (base + count).copyMemory(from: from, byteCount: raw.count)
                count += raw.count
            }
        }
        if let from = tail.baseAddress, tail.count > 0 {
            (base + count).copyMemory(from: from, byteCount: tail.count)
            count += tail.count
        }
        (base + count).storeBytes(of: UInt8(ascii: "\n"), as: UInt8.self)
        count += 1
    }

    mutating func removeAll() {
        count = 0
    }
}
