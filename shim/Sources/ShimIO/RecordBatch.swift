import CorralSystem

/// Whole CRI records gathered for one write(2): `<timestamp> <stream> <P|F> <content>\n`.
///
/// All records of a batch share one timestamp, taken when the first is added (as conmon stamps
/// a whole read), which keeps the clock and the formatter off the per-line path.
struct RecordBatch {
    /// A batch this large is written out before more is added, so a huge input never sits in memory.
    static let flushThreshold = 64 * 1024

    private let stream: LogStream
    private var header: [UInt8] = []
    private(set) var bytes: [UInt8] = []

    init(stream: LogStream) {
        self.stream = stream
    }

    var isFull: Bool { bytes.count >= Self.flushThreshold }

    mutating func append(_ tag: RecordTag, _ head: ArraySlice<UInt8>, _ tail: UnsafeBufferPointer<UInt8>) {
        if header.isEmpty {
            header = Array("\(RFC3339.format(wallNanos: Clock.wallNanos)) \(stream) ".utf8)
        }
        if bytes.isEmpty {
            bytes.reserveCapacity(min(Self.flushThreshold, header.count + 3 + head.count + tail.count))
        }
        bytes.append(contentsOf: header)
        bytes.append(tag.byte)
        bytes.append(UInt8(ascii: " "))
        bytes.append(contentsOf: head)
        bytes.append(contentsOf: tail)
        bytes.append(UInt8(ascii: "\n"))
    }

    mutating func removeAll() {
        bytes.removeAll(keepingCapacity: true)
    }
}
