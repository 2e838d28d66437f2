import CorralJSON
import CorralSystem

/// Terminal sizes from the resize stream: a run of JSON objects (`{"Width":80,"Height":24}`,
/// as Go's json.Encoder writes them), which may arrive split or several to a frame. Like
/// kubelet's json.Decoder, it matches keys without case and gives up at the first bad object.
struct ResizeDecoder {
    private var pending: [UInt8] = []
    private var failed = false
    /// One object is a few dozen bytes; anything this long is not a size.
    private static let maxObject = 4096

    mutating func feed(_ bytes: [UInt8]) -> [TerminalSize] {
        guard !failed else { return [] }
        pending += bytes
        var sizes: [TerminalSize] = []
        while let end = objectEnd() {
            let object = pending[..<end]
            pending.removeFirst(end)
            guard let size = Self.parse(object) else {
                failed = true
                pending = []
                return sizes
            }
            sizes.append(size)
        }
        if pending.count > Self.maxObject {
            failed = true
            pending = []
        }
        return sizes
    }

    /// The index just past the first complete top-level object, after dropping leading
    /// whitespace; nil while it is incomplete.
    private mutating func objectEnd() -> Int? {
        while let first = pending.first, first == 0x20 || first == 0x0a || first == 0x0d || first == 0x09 {
            pending.removeFirst()
        }
        guard let first = pending.first else { return nil }
        guard first == UInt8(ascii: "{") else {
            failed = true
            return nil
        }
        var depth = 0
        var inString = false
        var escaped = false
        for (i, c) in pending.enumerated() {
            if inString {
                if escaped { escaped = false } else if c == UInt8(ascii: "\\") { escaped = true } else if c == UInt8(ascii: "\"") { inString = false }
                continue
            }
            switch c {
            case UInt8(ascii: "\""): inString = true
            case UInt8(ascii: "{"): depth += 1
            case UInt8(ascii: "}"):
                depth -= 1
                if depth == 0 { return i + 1 }
            default: break
            }
        }
        return nil
    }

    private static func parse(_ object: ArraySlice<UInt8>) -> TerminalSize? {
        guard case .object(let members)? = try? JSONValue(parsing: Array(object)) else { return nil }
        var width: UInt16 = 0
        var height: UInt16 = 0
        for (key, value) in members {
            guard let n = value.int64.flatMap({ UInt16(exactly: $0) }) else { continue }
            switch key.lowercased() {
            case "width": width = n
            case "height": height = n
            default: break
            }
        }
        return TerminalSize(width: width, height: height)
    }
}
