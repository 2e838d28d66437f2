import Foundation

/// The regular files Debian's packages installed on this host (dpkg's `*.list` files), in a
/// fixed order, handed out in slices: each layer takes the next files until it has its bytes,
/// so no two layers hold the same files until the list wraps around.
final class DebianFiles {
    struct File {
        var path: String
        var size: Int
        var mode: Int
    }

    private let files: [File]
    private var next = 0

    /// Files larger than this are left out, so that every layer gets many files, as real ones do.
    static let largestFile = 8 << 20

    init(infoDirectory: String = "/var/lib/dpkg/info") throws {
        let manager = FileManager.default
        var paths = Set<String>()
        for name in try manager.contentsOfDirectory(atPath: infoDirectory) where name.hasSuffix(".list") {
            let list = try String(contentsOfFile: infoDirectory + "/" + name, encoding: .utf8)
            for line in list.split(separator: "\n") where line.hasPrefix("/") { paths.insert(String(line)) }
        }
        var files: [File] = []
        for path in paths.sorted() {
            // Regular files only (no symlinks, no directories), readable, not empty.
            guard !Self.looksLikeDirectoryInUstar(path), let attributes = try? manager.attributesOfItem(atPath: path),
                  attributes[.type] as? FileAttributeType == .typeRegular,
                  let size = (attributes[.size] as? NSNumber)?.intValue, size > 0, size <= Self.largestFile,
                  manager.isReadableFile(atPath: path) else { continue }
            let mode = (attributes[.posixPermissions] as? NSNumber)?.intValue ?? 0o644
            files.append(File(path: path, size: size, mode: mode))
        }
        guard files.reduce(0, { $0 + $1.size }) >= 64 << 20 else {
            throw BenchFailure("dpkg lists fewer than 64 MiB of package files in \(infoDirectory): not a Debian host?")
        }
        self.files = files
    }

    /// A name over 100 bytes goes into a PAX `path` record, and CorralTar's writer keeps its
    /// first 100 bytes in the ustar name field. When those end in "/", corrald's TarReader (at
    /// the time of writing) takes the member for a directory before it applies the PAX path,
    /// skips none of its content and fails the pull with "tar: malformed checksum field". The
    /// bench measures speed, so it leaves such files out (a few per thousand); the bug is
    /// corrald's to fix.
    static func looksLikeDirectoryInUstar(_ path: String) -> Bool {
        let name = Array(path.utf8.drop { $0 == UInt8(ascii: "/") })
        return name.count > 100 && name[99] == UInt8(ascii: "/")
    }

    /// The next files, about `bytes` of them (the last one may go over).
    func take(_ bytes: Int) -> [File] {
        var taken: [File] = []
        var total = 0
        while total < bytes {
            let file = files[next]
            next = (next + 1) % files.count
            taken.append(file)
            total += file.size
        }
        return taken
    }
}

struct BenchFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
