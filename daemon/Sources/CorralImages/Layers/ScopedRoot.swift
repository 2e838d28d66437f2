#if canImport(Glibc)
import Glibc
#endif
import CorralSystem

/// A directory that paths are resolved inside of and never out of: `..` stops at the top,
/// absolute paths start at the top, and a symlink met on the way is read and resolved the
/// same way instead of being followed by the kernel. Each step is an openat with
/// O_NOFOLLOW on a component already known to be a real directory.
final class ScopedRoot {
    typealias Component = [UInt8]

    let path: String
    let fd: Int32
    private var cachedKey: [Component]?
    private var cachedFD: Int32 = -1
    private static let maxSymlinks = 40

    init(path: String) throws(SystemError) {
        self.path = path
        fd = Glibc.open(path, RawIO.pathOnly | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw SystemError("open", path) }
    }

    deinit {
        invalidate()
        _ = Glibc.close(fd)
    }

    /// Splits a path into components, with `.`, empty parts and `..` above the top removed.
    static func clean(_ path: some Collection<UInt8>) -> [Component] {
        var out: [Component] = []
        for part in path.split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: true) {
            if part.elementsEqual([UInt8(ascii: ".")]) { continue }
            if part.elementsEqual([UInt8(ascii: "."), UInt8(ascii: ".")]) {
                _ = out.popLast()
                continue
            }
            out.append(Array(part))
        }
        return out
    }

    /// Forgets the cached directory, after anything that could have changed what a path resolves to.
    func invalidate() {
        if cachedFD >= 0 { _ = Glibc.close(cachedFD) }
        cachedFD = -1
        cachedKey = nil
    }

    /// An RawIO.pathOnly descriptor of the directory `components` lead to, creating missing ones
    /// (mode 0755) when asked. The descriptor stays owned by the root: do not close it, and
    /// do not keep it past the next call.
    func directory(_ components: [Component], create: Bool) throws(ImageError) -> Int32 {
        if components.isEmpty { return fd }
        if let cachedKey, cachedKey == components { return cachedFD }
        let resolved = try resolve(components, create: create)
        invalidate()
        cachedKey = components
        cachedFD = resolved
        return resolved
    }

    /// A descriptor the caller owns, for the same walk.
    func openDirectory(_ components: [Component], create: Bool) throws(ImageError) -> Int32 {
        try resolve(components, create: create)
    }

    private func resolve(_ components: [Component], create: Bool) throws(ImageError) -> Int32 {
        var pending = Array(components.reversed())
        var current = At.duplicate(fd)
        var trail: [Component] = []
        var hops = 0
        do {
            while let component = pending.popLast() {
                if component == [UInt8(ascii: ".")] || component.isEmpty { continue }
                if component == [UInt8(ascii: "."), UInt8(ascii: ".")] {
                    if trail.popLast() != nil {
                        _ = Glibc.close(current)
                        current = try walk(trail)
                    }
                    continue
                }
                guard let info = try At.lstat(current, component) else {
                    guard create else { throw SystemError("resolve", At.text(component), errno: ENOENT) }
                    try At.makeDirectory(current, component, mode: 0o755)
                    try step(&current, into: component)
                    trail.append(component)
                    continue
                }
                switch info.st_mode & S_IFMT {
                case S_IFDIR:
                    try step(&current, into: component)
                    trail.append(component)
                case S_IFLNK:
                    hops += 1
                    guard hops <= ScopedRoot.maxSymlinks else { throw SystemError("resolve", At.text(component), errno: ELOOP) }
                    let target = try At.readLink(current, component)
                    if target.first == UInt8(ascii: "/") {
                        trail = []
                        _ = Glibc.close(current)
                        current = At.duplicate(fd)
                    }
                    pending += target.split(separator: UInt8(ascii: "/")).map(Array.init).reversed()
                default:
                    throw SystemError("resolve", At.text(component), errno: ENOTDIR)
                }
            }
        } catch {
            _ = Glibc.close(current)
            throw .invalidImage("layer path \"\(At.text(Array(components.joined(separator: [UInt8(ascii: "/")]))))\": \(error)")
        }
        return current
    }

    private func step(_ current: inout Int32, into component: Component) throws(SystemError) {
        let next = try At.open(current, component, RawIO.pathOnly | O_DIRECTORY | O_NOFOLLOW)
        _ = Glibc.close(current)
        current = next
    }

    /// Re-walks components already known to be real directories.
    private func walk(_ trail: [Component]) throws(SystemError) -> Int32 {
        var current = At.duplicate(fd)
        for component in trail {
            do { try step(&current, into: component) } catch {
                _ = Glibc.close(current)
                throw error
            }
        }
        return current
    }
}
