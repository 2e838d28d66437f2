#if canImport(Glibc)
import Glibc
#endif

/// Cuts one stream's output into record contents exactly as containerd's `redirectLogs` does,
/// because kubelet and log shippers reassemble lines from the `P`/`F` tags it produces:
///
/// - a line ends at "\n"; the "\n" and a "\r" just before it are not part of the content;
/// - a line longer than `maxLength` becomes `P` records of exactly `maxLength` bytes, then an `F`
///   record holding the rest (1 to `maxLength` bytes, so never an empty `F` after a `P`);
/// - an empty line is an `F` record with empty content;
/// - at end of stream, text without a newline is written as `P` record(s).
///
/// What has no newline yet stays in `pending`, at most `maxLength` + 1 bytes.
struct LineSplitter {
    /// Receives one record's content as two pieces (buffered bytes, then new ones) to spare a copy.
    typealias Emit = (RecordTag, ArraySlice<UInt8>, UnsafeBufferPointer<UInt8>) -> Void

    let maxLength: Int
    private var pending: [UInt8] = []

    init(maxLength: Int) {
        precondition(maxLength > 0, "a CRI log line limit must be positive")
        self.maxLength = maxLength
    }

    mutating func feed(_ input: UnsafeBufferPointer<UInt8>, _ emit: Emit) {
        var rest = input[...]
        while let newline = Self.firstNewline(in: rest) {
            var line = rest[rest.startIndex..<newline]
            rest = rest[(newline + 1)...]
            // containerd strips "\r\n" as a pair even when the "\r" came in an earlier read.
            if !line.isEmpty {
                if line.last == Self.carriageReturn { line = line.dropLast() }
            } else if pending.last == Self.carriageReturn {
                pending.removeLast()
            }
            emitPartials(&line, lineEnded: true, emit)
            emit(.full, pending[...], UnsafeBufferPointer(rebasing: line))
            pending.removeAll()
        }
        emitPartials(&rest, lineEnded: false, emit)
        pending.append(contentsOf: rest)
    }

    /// The stream ended: containerd writes what is left as partial, since no newline ended it.
    mutating func finish(_ emit: Emit) {
        var nothing = Self.empty[...]
        emitPartials(&nothing, lineEnded: true, emit)
        if !pending.isEmpty { emit(.partial, pending[...], Self.empty) }
        pending = []
    }

    private mutating func emitPartials(_ rest: inout Slice<UnsafeBufferPointer<UInt8>>, lineEnded: Bool, _ emit: Emit) {
        while true {
            var length = pending.count + rest.count
            // A trailing "\r" may be the first half of "\r\n", which containerd never counts
            // toward a split: it holds the "\r" back until it sees the next byte.
            if !lineEnded && (rest.last ?? pending.last) == Self.carriageReturn { length -= 1 }
            guard length > maxLength else { return }
            if pending.count >= maxLength {
                emit(.partial, pending[..<maxLength], Self.empty)
                pending.removeFirst(maxLength)
            } else {
                let take = maxLength - pending.count
                emit(.partial, pending[...], UnsafeBufferPointer(rebasing: rest.prefix(take)))
                pending.removeAll()
                rest = rest.dropFirst(take)
            }
        }
    }

    private static func firstNewline(in bytes: Slice<UnsafeBufferPointer<UInt8>>) -> Int? {
        guard !bytes.isEmpty, let base = bytes.base.baseAddress else { return nil }
        guard let hit = memchr(base + bytes.startIndex, Int32(newline), bytes.count) else { return nil }
        return bytes.startIndex + (UnsafeRawPointer(hit) - UnsafeRawPointer(base + bytes.startIndex))
    }

    private static let newline = UInt8(ascii: "\n")
    private static let carriageReturn = UInt8(ascii: "\r")
    private static var empty: UnsafeBufferPointer<UInt8> { UnsafeBufferPointer(start: nil, count: 0) }
}
