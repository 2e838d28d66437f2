import CorralRegistry
import CorralSystem

/// Reads a tar stream: ustar, GNU long names and links ('L', 'K'), PAX extended headers
/// ('x', and 'g' for all later members) with path, linkpath, size, uid, gid, mtime, atime and
/// SCHILY.xattr.*. `next()` gives a header; the caller then reads or skips its content.
final class TarReader {
    private let input: BufferedReader
    private var remaining: Int64 = 0
    private var padding: Int64 = 0
    private var globalPAX: [String: [UInt8]] = [:]
    private var finished = false

    init(_ source: ByteSource) {
        input = BufferedReader(source)
    }

    /// The next member, or nil at the end of the archive. Content not read is skipped.
    func next() throws(ImageError) -> TarEntry? {
        try input.skip(remaining + padding)
        remaining = 0
        padding = 0
        guard !finished else { return nil }

        var pax: [String: [UInt8]] = [:]
        var longName: [UInt8]?
        var longLink: [UInt8]?
        while true {
            guard let header = try input.readExactly(512) else {
                // Some writers stop without the two zero records; what came before is whole.
                finished = true
                return nil
            }
            if header.allSatisfy({ $0 == 0 }) {
                finished = true
                return nil
            }
            try TarReader.verifyChecksum(header)
            let type = header[156]
            let size = try TarReader.number(header[124..<136], field: "size")
            guard size >= 0 else { throw .invalidImage("tar: negative size") }
            switch type {
            case UInt8(ascii: "x"), UInt8(ascii: "g"):
                let records = try TarReader.parsePAX(try readMeta(size))
                if type == UInt8(ascii: "g") {
                    globalPAX.merge(records) { $1 }
                } else {
                    pax.merge(records) { $1 }
                }
                continue
            case UInt8(ascii: "L"):
                longName = TarReader.trimNUL(try readMeta(size)[...])
                continue
            case UInt8(ascii: "K"):
                longLink = TarReader.trimNUL(try readMeta(size)[...])
                continue
            case UInt8(ascii: "V"):
                try input.skip(TarReader.padded(size))
                continue
            default:
                break
            }
            var entry = try TarReader.entry(header, type: type, size: size)
            let attributes = globalPAX.merging(pax) { $1 }
            if let longName { entry.path = longName }
            if let longLink { entry.linkName = longLink }
            try TarReader.apply(attributes, to: &entry)
            if type == 0 && entry.path.last == UInt8(ascii: "/") { entry.kind = .directory }
            if attributes.keys.contains(where: { $0.hasPrefix("GNU.sparse.") }) {
                throw .unsupported("tar: sparse files (\(entry.pathText)) are not supported in layers")
            }
            // Only regular files (and GNU dump dirs) carry content; other types' size fields mean nothing.
            let contentSize = entry.kind == .regular || type == UInt8(ascii: "D") ? entry.size : 0
            remaining = contentSize
            padding = TarReader.padded(contentSize) - contentSize
            if entry.kind != .regular { entry.size = 0 }
            return entry
        }
    }

    /// Reads the current member's content in pieces.
    func readContent(_ body: (UnsafeRawBufferPointer) throws(ImageError) -> Void) throws(ImageError) {
        let count = remaining
        remaining = 0
        try input.stream(count, body)
    }

    /// The rest of the stream after the archive ends, so a digest over it sees every byte.
    func skipRest() throws(ImageError) {
        try input.skip(remaining + padding)
        remaining = 0
        padding = 0
        while try input.readExactly(512) != nil {}
    }

    private func readMeta(_ size: Int64) throws(ImageError) -> [UInt8] {
        guard size <= 16 << 20 else { throw .invalidImage("tar: extended header of \(size) bytes") }
        guard let bytes = try input.readExactly(Int(TarReader.padded(size))) else {
            throw .invalidImage("tar: archive ends in an extended header")
        }
        return Array(bytes[..<Int(size)])
    }

    static func padded(_ size: Int64) -> Int64 {
        (size + 511) / 512 * 512
    }

    private static func entry(_ h: [UInt8], type: UInt8, size: Int64) throws(ImageError) -> TarEntry {
        let magic = Array(h[257..<263])
        let isUstar = magic == Array("ustar\0".utf8)
        var name = trimNUL(h[0..<100])
        // The prefix field is ustar's; GNU tar keeps times there instead.
        if isUstar {
            let prefix = trimNUL(h[345..<500])
            if !prefix.isEmpty { name = prefix + [UInt8(ascii: "/")] + name }
        }
        let kind: TarEntry.Kind
        switch type {
        // A pre-POSIX '\0' entry whose name ends in '/' is a directory, which `next` decides
        // once a PAX path or GNU long name has replaced the header's cut-off name: that one
        // may end in '/' only because the cut fell there.
        case 0, UInt8(ascii: "0"), UInt8(ascii: "7"):
            kind = .regular
        case UInt8(ascii: "1"): kind = .hardLink
        case UInt8(ascii: "2"): kind = .symbolicLink
        case UInt8(ascii: "3"): kind = .characterDevice
        case UInt8(ascii: "4"): kind = .blockDevice
        case UInt8(ascii: "5"), UInt8(ascii: "D"): kind = .directory
        case UInt8(ascii: "6"): kind = .fifo
        case UInt8(ascii: "S"):
            throw .unsupported("tar: sparse files (\(String(decoding: name, as: UTF8.self))) are not supported in layers")
        default:
            throw .unsupported("tar: member type '\(Character(Unicode.Scalar(type)))' of \(String(decoding: name, as: UTF8.self)) is not supported")
        }
        return TarEntry(
            kind: kind, path: name, linkName: trimNUL(h[157..<257]),
            mode: UInt32(truncatingIfNeeded: try number(h[100..<108], field: "mode")),
            uid: Int(try number(h[108..<116], field: "uid")), gid: Int(try number(h[116..<124], field: "gid")),
            size: size, modified: FileTime(seconds: try number(h[136..<148], field: "mtime"), nanoseconds: 0),
            accessed: nil,
            deviceMajor: UInt32(truncatingIfNeeded: try number(h[329..<337], field: "devmajor")),
            deviceMinor: UInt32(truncatingIfNeeded: try number(h[337..<345], field: "devminor")),
            xattrs: [])
    }

    private static func apply(_ pax: [String: [UInt8]], to entry: inout TarEntry) throws(ImageError) {
        for (key, value) in pax.sorted(by: { $0.key < $1.key }) {
            let text = String(decoding: value, as: UTF8.self)
            switch key {
            case "path": entry.path = value
            case "linkpath": entry.linkName = value
            case "size":
                guard let n = Int64(text), n >= 0 else { throw .invalidImage("tar: PAX size \"\(text)\"") }
                entry.size = n
            case "uid":
                guard let n = Int(text) else { throw .invalidImage("tar: PAX uid \"\(text)\"") }
                entry.uid = n
            case "gid":
                guard let n = Int(text) else { throw .invalidImage("tar: PAX gid \"\(text)\"") }
                entry.gid = n
            case "mtime":
                entry.modified = try time(text)
            case "atime":
                entry.accessed = try time(text)
            default:
                if key.hasPrefix("SCHILY.xattr.") {
                    entry.xattrs.append((String(key.dropFirst("SCHILY.xattr.".count)), value))
                }
            }
        }
    }

    /// PAX times are decimal seconds with an optional fraction.
    static func time(_ text: String) throws(ImageError) -> FileTime {
        let parts = text.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
        guard let seconds = Int64(parts[0]) else { throw .invalidImage("tar: PAX time \"\(text)\"") }
        var nanos = 0
        if parts.count == 2 {
            let digits = String(parts[1].prefix(9))
            guard let n = Int(digits.isEmpty ? "0" : digits) else { throw .invalidImage("tar: PAX time \"\(text)\"") }
            nanos = n
            for _ in digits.count..<9 { nanos *= 10 }
            if seconds < 0 { nanos = -nanos }
        }
        return FileTime(seconds: seconds, nanoseconds: nanos)
    }

    /// PAX records: "<length> <key>=<value>\n", the length counting the whole record.
    static func parsePAX(_ bytes: [UInt8]) throws(ImageError) -> [String: [UInt8]] {
        var records: [String: [UInt8]] = [:]
        var i = 0
        while i < bytes.count {
            if bytes[i] == 0 { break }
            guard let space = bytes[i...].firstIndex(of: UInt8(ascii: " ")),
                  let length = Int(String(decoding: bytes[i..<space], as: UTF8.self)),
                  length > space - i, i + length <= bytes.count, bytes[i + length - 1] == UInt8(ascii: "\n")
            else { throw .invalidImage("tar: malformed PAX header") }
            let record = bytes[(space + 1)..<(i + length - 1)]
            guard let equals = record.firstIndex(of: UInt8(ascii: "=")) else { throw .invalidImage("tar: malformed PAX record") }
            records[String(decoding: record[..<equals], as: UTF8.self)] = Array(record[(equals + 1)...])
            i += length
        }
        return records
    }

    /// Octal (space or NUL terminated), or GNU's base-256 when the high bit of the first byte is set.
    static func number(_ field: ArraySlice<UInt8>, field name: String) throws(ImageError) -> Int64 {
        guard let first = field.first else { return 0 }
        if first & 0x80 != 0 {
            // Two's complement, big-endian; the marker bit is replaced by the sign bit below it.
            var bytes = Array(field)
            bytes[0] = first & 0x40 != 0 ? first | 0x80 : first & 0x7f
            var value: Int64 = bytes[0] & 0x80 != 0 ? -1 : 0
            for byte in bytes {
                guard value >> 55 == 0 || value >> 55 == -1 else { throw .invalidImage("tar: \(name) out of range") }
                value = value << 8 | Int64(byte)
            }
            return value
        }
        var value: Int64 = 0
        var seenDigit = false
        for byte in field {
            if byte == 0 || (byte == UInt8(ascii: " ") && seenDigit) { break }
            if byte == UInt8(ascii: " ") { continue }
            guard byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "7") else {
                throw .invalidImage("tar: malformed \(name) field")
            }
            seenDigit = true
            guard value < Int64.max >> 3 else { throw .invalidImage("tar: \(name) out of range") }
            value = value << 3 | Int64(byte - UInt8(ascii: "0"))
        }
        return value
    }

    private static func verifyChecksum(_ header: [UInt8]) throws(ImageError) {
        let recorded = try number(header[148..<156], field: "checksum")
        var unsigned: Int64 = 0
        var signed: Int64 = 0
        for (i, byte) in header.enumerated() {
            let b = (148..<156).contains(i) ? UInt8(ascii: " ") : byte
            unsigned += Int64(b)
            signed += Int64(Int8(bitPattern: b))
        }
        guard recorded == unsigned || recorded == signed else {
            throw .invalidImage("tar: header checksum mismatch (not a tar archive, or a damaged one)")
        }
    }

    static func trimNUL(_ bytes: ArraySlice<UInt8>) -> [UInt8] {
        Array(bytes.prefix { $0 != 0 })
    }
}
