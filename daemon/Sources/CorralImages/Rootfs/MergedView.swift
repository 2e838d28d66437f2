#if canImport(Glibc)
import Glibc
#endif
import CorralSystem

/// Looks a path up through overlay lower dirs the way overlayfs would see them merged:
/// the top layer first, whiteouts hiding what is below, opaque directories hiding lower
/// contents, and symlinks followed inside the image, never out of it.
struct MergedView {
    /// Top layer first.
    let layers: [String]
    private static let maxSymlinks = 40

    /// The file's bytes, following symlinks; nil when absent or not a regular file.
    func readFile(_ path: String, limit: Int = 16 << 20) -> [UInt8]? {
        var pending = Array(ScopedRoot.clean(Array(path.utf8)).reversed())
        var resolved: [ScopedRoot.Component] = []
        var hops = 0
        while let component = pending.popLast() {
            if component == Array("..".utf8) {
                _ = resolved.popLast()
                continue
            }
            guard let (layer, info) = lookup(resolved + [component]) else { return nil }
            let full = layer + "/" + (resolved + [component]).map { String(decoding: $0, as: UTF8.self) }.joined(separator: "/")
            switch info.st_mode & S_IFMT {
            case S_IFLNK:
                hops += 1
                guard hops <= MergedView.maxSymlinks, let target = try? readLink(full) else { return nil }
                if target.first == UInt8(ascii: "/") { resolved = [] }
                pending += target.split(separator: UInt8(ascii: "/")).map(Array.init).filter { $0 != [UInt8(ascii: ".")] }.reversed()
            case S_IFDIR:
                resolved.append(component)
            case S_IFREG:
                guard pending.isEmpty else { return nil }
                return try? FileSystem.readFile(full, limit: limit)
            default:
                return nil
            }
        }
        return nil
    }

    /// The layer whose entry is what the merged view shows at `components`.
    private func lookup(_ components: [ScopedRoot.Component]) -> (String, stat)? {
        let names = components.map { String(decoding: $0, as: UTF8.self) }
        for layer in layers {
            var path = layer
            var hidesBelow = false
            var present = true
            for name in names.dropLast() {
                path += "/" + name
                var info = stat()
                guard lstat(path, &info) == 0 else { present = false; break }
                if isWhiteout(info) { return nil }
                guard (info.st_mode & S_IFMT) == S_IFDIR else { return nil }
                if ExtendedAttributes.get(path: path, name: "trusted.overlay.opaque") == Array("y".utf8) { hidesBelow = true }
            }
            if present {
                path += "/" + (names.last ?? "")
                var info = stat()
                if lstat(path, &info) == 0 {
                    return isWhiteout(info) ? nil : (layer, info)
                }
            }
            if hidesBelow { return nil }
        }
        return nil
    }

    private func isWhiteout(_ info: stat) -> Bool {
        (info.st_mode & S_IFMT) == S_IFCHR && info.st_rdev == 0
    }

    private func readLink(_ path: String) throws -> [UInt8] {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let n = readlink(path, &buffer, buffer.count)
        guard n >= 0 else { throw SystemError("readlink", path) }
        return buffer[..<n].map { UInt8(bitPattern: $0) }
    }
}
