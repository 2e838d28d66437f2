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
            switch info.kind {
            case .symbolicLink:
                hops += 1
                guard hops <= MergedView.maxSymlinks, let target = try? FileSystem.readLink(full) else { return nil }
                if target.first == UInt8(ascii: "/") { resolved = [] }
                pending += target.split(separator: UInt8(ascii: "/")).map(Array.init).filter { $0 != [UInt8(ascii: ".")] }.reversed()
            case .directory:
                resolved.append(component)
            case .regular:
                guard pending.isEmpty else { return nil }
                return try? FileSystem.readFile(full, limit: limit)
            default:
                return nil
            }
        }
        return nil
    }

    /// The layer whose entry is what the merged view shows at `components`.
    private func lookup(_ components: [ScopedRoot.Component]) -> (String, FileStatus)? {
        let names = components.map { String(decoding: $0, as: UTF8.self) }
        for layer in layers {
            var path = layer
            var hidesBelow = false
            var present = true
            for name in names.dropLast() {
                path += "/" + name
                guard let info = try? FileSystem.status(path, followingLinks: false) else { present = false; break }
                if isWhiteout(info) { return nil }
                guard info.kind == .directory else { return nil }
                if ExtendedAttributes.get(path: path, name: "trusted.overlay.opaque") == Array("y".utf8) { hidesBelow = true }
            }
            if present {
                path += "/" + (names.last ?? "")
                if let info = try? FileSystem.status(path, followingLinks: false) {
                    return isWhiteout(info) ? nil : (layer, info)
                }
            }
            if hidesBelow { return nil }
        }
        return nil
    }

    private func isWhiteout(_ info: FileStatus) -> Bool {
        info.kind == .characterDevice && info.device == 0
    }
}
