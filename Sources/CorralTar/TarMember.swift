/// One member of a tar archive, as its header describes it.
public struct TarMember: Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        case regular, symbolicLink, characterDevice, blockDevice, directory, fifo

        var typeFlag: UInt8 {
            switch self {
            case .regular: UInt8(ascii: "0")
            case .symbolicLink: UInt8(ascii: "2")
            case .characterDevice: UInt8(ascii: "3")
            case .blockDevice: UInt8(ascii: "4")
            case .directory: UInt8(ascii: "5")
            case .fifo: UInt8(ascii: "6")
            }
        }
    }

    public var name: String
    public var kind: Kind
    /// Bytes of content; only a regular file has any.
    public var size: Int
    public var mode: Int
    public var uid: Int
    public var gid: Int
    /// Seconds since the epoch.
    public var modified: Int64
    /// A symlink's target.
    public var linkName: String
    public var deviceMajor: Int
    public var deviceMinor: Int

    public init(name: String, kind: Kind, size: Int = 0, mode: Int = 0o644, uid: Int = 0, gid: Int = 0,
                modified: Int64 = 0, linkName: String = "", deviceMajor: Int = 0, deviceMinor: Int = 0) {
        self.name = name
        self.kind = kind
        self.size = size
        self.mode = mode
        self.uid = uid
        self.gid = gid
        self.modified = modified
        self.linkName = linkName
        self.deviceMajor = deviceMajor
        self.deviceMinor = deviceMinor
    }

    /// The header blocks: a PAX extended header first when a name or number does not fit ustar's
    /// fields (names over 100 bytes are common in a container's files), then the ustar header.
    public var headerBlocks: [UInt8] {
        var pax: [(String, String)] = []
        if name.utf8.count > 100 { pax.append(("path", name)) }
        if linkName.utf8.count > 100 { pax.append(("linkpath", linkName)) }
        if size > Self.maxOctal(11) { pax.append(("size", String(size))) }
        if uid > Self.maxOctal(7) { pax.append(("uid", String(uid))) }
        if gid > Self.maxOctal(7) { pax.append(("gid", String(gid))) }
        guard !pax.isEmpty else { return ustarHeader() }
        let records = pax.flatMap { Self.paxRecord($0.0, $0.1) }
        var extended = TarMember(name: "PaxHeaders/" + String(name.suffix(80)), kind: .regular, size: records.count)
        extended.modified = modified
        return extended.ustarHeader(typeFlag: UInt8(ascii: "x")) + records + Self.padding(records.count) + ustarHeader()
    }

    /// Zeros that fill content of `size` bytes up to the next block.
    public static func padding(_ size: Int) -> [UInt8] {
        let rest = size % block
        return rest == 0 ? [] : [UInt8](repeating: 0, count: block - rest)
    }

    public static let block = 512

    private func ustarHeader(typeFlag: UInt8? = nil) -> [UInt8] {
        var header = [UInt8](repeating: 0, count: Self.block)
        func put(_ text: String, at offset: Int, width: Int) {
            for (index, byte) in text.utf8.prefix(width).enumerated() { header[offset + index] = byte }
        }
        func octal(_ value: Int, at offset: Int, width: Int) {
            // What does not fit is in the PAX header; the field gets what it can hold.
            let digits = String(min(max(value, 0), Self.maxOctal(width - 1)), radix: 8)
            put(String(repeating: "0", count: max(0, width - 1 - digits.count)) + digits, at: offset, width: width - 1)
        }
        put(name, at: 0, width: 100)
        octal(mode & 0o7777, at: 100, width: 8)
        octal(uid, at: 108, width: 8)
        octal(gid, at: 116, width: 8)
        octal(kind == .regular ? size : 0, at: 124, width: 12)
        octal(Int(clamping: modified), at: 136, width: 12)
        header[156] = typeFlag ?? kind.typeFlag
        put(linkName, at: 157, width: 100)
        put("ustar", at: 257, width: 6)
        put("00", at: 263, width: 2)
        if kind == .characterDevice || kind == .blockDevice {
            octal(deviceMajor, at: 329, width: 8)
            octal(deviceMinor, at: 337, width: 8)
        }
        // The checksum is computed with its own field as spaces.
        for index in 148..<156 { header[index] = UInt8(ascii: " ") }
        let sum = header.reduce(0) { $0 + Int($1) }
        let digits = String(sum, radix: 8)
        put(String(repeating: "0", count: max(0, 6 - digits.count)) + digits, at: 148, width: 6)
        header[154] = 0
        header[155] = UInt8(ascii: " ")
        return header
    }

    private static func maxOctal(_ digits: Int) -> Int { (1 << (3 * digits)) - 1 }

    /// `LENGTH key=value\n`, where LENGTH counts the whole record, its own digits included.
    private static func paxRecord(_ key: String, _ value: String) -> [UInt8] {
        let body = " \(key)=\(value)\n"
        var length = body.utf8.count + 1
        while String(length).count + body.utf8.count > length { length += 1 }
        return Array((String(length) + body).utf8)
    }
}
