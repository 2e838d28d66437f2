#if canImport(Glibc)
import Glibc
#endif
import CorralRegistry
import CorralSystem

/// A directory that paths are resolved inside of and never out of: `..` stops at the top,
/// absolute paths start at the top, and a symlink met on the way is read and resolved the
/// same way instead of being followed by the kernel. Each step is an openat with
/// O_NOFOLLOW on a component already known to be a real directory.
final class ScopedRoot {
    typealias Component = [UInt8]

    let path: String
    let fd: FileDescriptor
    private var cachedKey: [Component]?
    private var cachedFD = FileDescriptor(rawValue: -1)
    private static let maxSymlinks = 40

    init(path: String) throws(SystemError) {
        self.path = path
        fd = try FileDescriptor.open(path, FileDescriptor.pathOnly | O_DIRECTORY)
    }

    deinit {
        invalidate()
        fd.close()
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

    /// A name as text, for messages: tar names need not be UTF-8.
    static func text(_ component: some Sequence<UInt8>) -> String {
        String(decoding: Array(component), as: UTF8.self)
    }

    /// Forgets the cached directory, after anything that could have changed what a path resolves to.
    func invalidate() {
        if cachedFD.rawValue >= 0 { cachedFD.close() }
        cachedFD = FileDescriptor(rawValue: -1)
        cachedKey = nil
    }

    /// An O_PATH descriptor of the directory `components` lead to, creating missing ones
    /// (mode 0755) when asked. The descriptor stays owned by the root: do not close it, and
    /// do not keep it past the next call.
    func directory(_ components: [Component], create: Bool) throws(ImageError) -> FileDescriptor {
        if components.isEmpty { return fd }
        if let cachedKey, cachedKey == components { return cachedFD }
        let resolved = try resolve(components, create: create)
        invalidate()
        cachedKey = components
        cachedFD = resolved
        return resolved
    }

    /// A descriptor the caller owns, for the same walk.
    func openDirectory(_ components: [Component], create: Bool) throws(ImageError) -> FileDescriptor {
        try resolve(components, create: create)
    }

    private func resolve(_ components: [Component], create: Bool) throws(ImageError) -> FileDescriptor {
        var pending = Array(components.reversed())
        var current = fd.duplicate()
        var trail: [Component] = []
        var hops = 0
        do {
            while let component = pending.popLast() {
                if component == [UInt8(ascii: ".")] || component.isEmpty { continue }
                if component == [UInt8(ascii: "."), UInt8(ascii: ".")] {
                    if trail.popLast() != nil {
                        current.close()
                        current = try walk(trail)
                    }
                    continue
                }
                guard let info = try At.status(current, component) else {
                    guard create else { throw SystemError("resolve", Self.text(component), errno: ENOENT) }
                    try At.makeDirectory(current, component, mode: 0o755)
                    try step(&current, into: component)
                    trail.append(component)
                    continue
                }
                switch info.kind {
                case .directory:
                    try step(&current, into: component)
                    trail.append(component)
                case .symbolicLink:
                    hops += 1
                    guard hops <= ScopedRoot.maxSymlinks else { throw SystemError("resolve", Self.text(component), errno: ELOOP) }
                    let target = try At.readLink(current, component)
                    if target.first == UInt8(ascii: "/") {
                        trail = []
                        current.close()
                        current = fd.duplicate()
                    }
                    pending += target.split(separator: UInt8(ascii: "/")).map(Array.init).reversed()
                default:
                    throw SystemError("resolve", Self.text(component), errno: ENOTDIR)
                }
            }
        } catch {
            current.close()
            throw .invalidImage("layer path \"\(Self.text(components.joined(separator: [UInt8(ascii: "/")])))\": \(error)")
        }
        return current
    }

    private func step(_ current: inout FileDescriptor, into component: Component) throws(SystemError) {
        let next = try At.open(current, component, FileDescriptor.pathOnly | O_DIRECTORY | O_NOFOLLOW)
        current.close()
        current = next
    }

    /// Re-walks components already known to be real directories.
    private func walk(_ trail: [Component]) throws(SystemError) -> FileDescriptor {
        var current = fd.duplicate()
        for component in trail {
            do { try step(&current, into: component) } catch {
                current.close()
                throw error
            }
        }
        return current
    }
}
