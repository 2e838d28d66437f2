import CorralSystem

/// One member of a tar archive, with PAX and GNU extensions already applied. Names are
/// bytes: tar does not promise UTF-8 and the file system takes whatever it is given.
struct TarEntry {
    enum Kind: Equatable {
        case regular, hardLink, symbolicLink, characterDevice, blockDevice, directory, fifo
    }

    var kind: Kind
    var path: [UInt8]
    var linkName: [UInt8]
    var mode: UInt32
    var uid: Int
    var gid: Int
    var size: Int64
    var modified: FileTime
    var accessed: FileTime?
    var deviceMajor: UInt32
    var deviceMinor: UInt32
    var xattrs: [(name: String, value: [UInt8])]

    var pathText: String { String(decoding: path, as: UTF8.self) }
}
