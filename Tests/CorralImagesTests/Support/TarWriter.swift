/// Writes tar archives byte by byte, so tests can craft the odd and the hostile ones.
struct TarWriter {
    enum Format { case ustar, gnu }

    struct Member {
        var name: String
        var type: UInt8 = UInt8(ascii: "0")
        var mode: UInt32 = 0o644
        var uid = 0
        var gid = 0
        var mtime: Int64 = 1_700_000_000
        var linkName = ""
        var content: [UInt8] = []
        var major: UInt32 = 0
        var minor: UInt32 = 0
        var pax: [(String, [UInt8])] = []
        /// Leaves the header's size field as given instead of the content's length.
        var sizeOverride: Int64?
    }

    private(set) var bytes: [UInt8] = []
    var format: Format = .ustar

    mutating func file(_ name: String, _ text: String, mode: UInt32 = 0o644, uid: Int = 0, gid: Int = 0, mtime: Int64 = 1_700_000_000) {
        add(Member(name: name, mode: mode, uid: uid, gid: gid, mtime: mtime, content: Array(text.utf8)))
    }

    mutating func directory(_ name: String, mode: UInt32 = 0o755, mtime: Int64 = 1_700_000_000) {
        add(Member(name: name.hasSuffix("/") ? name : name + "/", type: UInt8(ascii: "5"), mode: mode, mtime: mtime))
    }

    mutating func symlink(_ name: String, to target: String) {
        add(Member(name: name, type: UInt8(ascii: "2"), mode: 0o777, linkName: target))
    }

    mutating func hardLink(_ name: String, to target: String) {
        add(Member(name: name, type: UInt8(ascii: "1"), linkName: target))
    }

    mutating func add(_ member: Member) {
        var member = member
        if !member.pax.isEmpty {
            var records: [UInt8] = []
            for (key, value) in member.pax { records += TarWriter.paxRecord(key, value) }
            bytes += TarWriter.header(name: "PaxHeaders/x", type: UInt8(ascii: "x"), mode: 0o644, uid: 0, gid: 0,
                                      size: Int64(records.count), mtime: 0, linkName: "", major: 0, minor: 0, format: format)
            appendPadded(records)
        }
        if format == .gnu {
            if member.name.utf8.count > 100 {
                let long = Array(member.name.utf8) + [0]
                bytes += TarWriter.header(name: "././@LongLink", type: UInt8(ascii: "L"), mode: 0, uid: 0, gid: 0,
                                          size: Int64(long.count), mtime: 0, linkName: "", major: 0, minor: 0, format: format)
                appendPadded(long)
                member.name = String(member.name.prefix(100))
            }
            if member.linkName.utf8.count > 100 {
                let long = Array(member.linkName.utf8) + [0]
                bytes += TarWriter.header(name: "././@LongLink", type: UInt8(ascii: "K"), mode: 0, uid: 0, gid: 0,
                                          size: Int64(long.count), mtime: 0, linkName: "", major: 0, minor: 0, format: format)
                appendPadded(long)
                member.linkName = String(member.linkName.prefix(100))
            }
        }
        bytes += TarWriter.header(name: member.name, type: member.type, mode: member.mode, uid: member.uid, gid: member.gid,
                                  size: member.sizeOverride ?? Int64(member.content.count), mtime: member.mtime,
                                  linkName: member.linkName, major: member.major, minor: member.minor, format: format)
        appendPadded(member.content)
    }

    /// The two zero records that end an archive.
    func finished() -> [UInt8] {
        bytes + [UInt8](repeating: 0, count: 1024)
    }

    private mutating func appendPadded(_ data: [UInt8]) {
        bytes += data
        let rest = data.count % 512
        if rest != 0 { bytes += [UInt8](repeating: 0, count: 512 - rest) }
    }

    static func paxRecord(_ key: String, _ value: [UInt8]) -> [UInt8] {
        let body = Array(" \(key)=".utf8) + value + [UInt8(ascii: "\n")]
        var length = body.count + 1
        while String(length).utf8.count + body.count != length { length += 1 }
        return Array(String(length).utf8) + body
    }

    static func header(name: String, type: UInt8, mode: UInt32, uid: Int, gid: Int, size: Int64, mtime: Int64,
                       linkName: String, major: UInt32, minor: UInt32, format: Format) -> [UInt8] {
        var h = [UInt8](repeating: 0, count: 512)
        func put(_ offset: Int, _ length: Int, _ value: [UInt8]) {
            for (i, b) in value.prefix(length).enumerated() { h[offset + i] = b }
        }
        func octal(_ offset: Int, _ length: Int, _ value: Int64) {
            var digits = Array(String(value, radix: 8).utf8)
            while digits.count < length - 1 { digits.insert(UInt8(ascii: "0"), at: 0) }
            put(offset, length - 1, digits)
        }
        put(0, 100, Array(name.utf8))
        octal(100, 8, Int64(mode))
        octal(108, 8, Int64(uid))
        octal(116, 8, Int64(gid))
        octal(124, 12, size)
        octal(136, 12, mtime)
        h[156] = type
        put(157, 100, Array(linkName.utf8))
        switch format {
        case .ustar:
            put(257, 6, Array("ustar\0".utf8))
            put(263, 2, Array("00".utf8))
        case .gnu:
            put(257, 8, Array("ustar  \0".utf8))
        }
        octal(329, 8, Int64(major))
        octal(337, 8, Int64(minor))
        for i in 148..<156 { h[i] = UInt8(ascii: " ") }
        let sum = h.reduce(0) { $0 + Int($1) }
        var digits = Array(String(sum, radix: 8).utf8)
        while digits.count < 6 { digits.insert(UInt8(ascii: "0"), at: 0) }
        put(148, 8, digits + [0, UInt8(ascii: " ")])
        return h
    }
}
