#if canImport(Glibc)
import Glibc
#endif
import CorralRegistry
import CorralSystem
import Logging

/// What unpacking a layer found. What it takes on disk is counted afterwards, as du counts it
/// (`DiskUsage`), which the tar's own lengths do not tell.
struct ExtractionResult: Sendable, Equatable {
    var diffID: Digest
}

/// Unpacks one layer's tar stream into a directory of its own, as an overlay lower dir:
/// OCI whiteouts become overlay whiteouts (0/0 character devices) and opaque markers the
/// `trusted.overlay.opaque` xattr. Nothing is ever written outside the directory: names are
/// cleaned (`..` stops at the top, leading `/` dropped), parent directories are resolved
/// inside it (see `ScopedRoot`), the last component is never followed, and hard links must
/// name something inside it.
final class LayerExtractor {
    private let root: ScopedRoot
    private let logger: Logger
    private let privileged = ProcessControl.effectiveUserID == 0
    private var directories: [(components: [ScopedRoot.Component], entry: TarEntry)] = []
    private var directoryIndex: [[ScopedRoot.Component]: Int] = [:]
    private static let whiteoutPrefix = Array(".wh.".utf8)
    private static let opaqueMarker = Array(".wh..wh..opq".utf8)

    init(directory: String, logger: Logger) throws(ImageError) {
        do { root = try ScopedRoot(path: directory) } catch { throw .system(error) }
        self.logger = logger
    }

    /// Unpacks a blob (gzip, zstd or plain tar) and answers the digest of its uncompressed bytes.
    static func unpack(blob path: String, into directory: String, logger: Logger) throws(ImageError) -> ExtractionResult {
        let fd: FileDescriptor
        do { fd = try FileDescriptor.open(path, O_RDONLY) } catch { throw .system(error) }
        defer { fd.close() }
        return try unpack(FileSource(fd: fd, name: path), into: directory, logger: logger)
    }

    static func unpack(_ compressed: ByteSource, into directory: String, logger: Logger) throws(ImageError) -> ExtractionResult {
        let digesting = DigestingSource(try Compression.decompressing(compressed))
        let reader = TarReader(digesting)
        let extractor = try LayerExtractor(directory: directory, logger: logger)
        while let entry = try reader.next() {
            try extractor.apply(entry, reader: reader)
        }
        try extractor.finish()
        try reader.skipRest()
        let diffID = try digesting.drainAndDigest()
        return ExtractionResult(diffID: diffID)
    }

    func apply(_ entry: TarEntry, reader: TarReader) throws(ImageError) {
        guard !entry.path.contains(0) else { throw .invalidImage("layer member name contains a NUL byte") }
        var components = ScopedRoot.clean(entry.path)
        guard let name = components.popLast() else {
            if entry.kind == .directory { remember([], entry) }
            return
        }
        if name.starts(with: LayerExtractor.whiteoutPrefix) {
            try whiteout(name, in: components, entry: entry)
            return
        }
        if entry.kind == .hardLink && ScopedRoot.clean(entry.linkName) == components + [name] { return }
        do {
            var dir = try root.directory(components, create: true)
            if try clear(dir, name, keepingDirectory: entry.kind == .directory) {
                dir = try root.directory(components, create: true)
            }
            switch entry.kind {
            case .directory:
                try At.makeDirectory(dir, name, mode: 0o700)
                try own(dir, name, entry)
                if !entry.xattrs.isEmpty {
                    let fd = try At.open(dir, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW)
                    defer { fd.close() }
                    setAttributes(entry, fd: fd)
                }
                remember(components + [name], entry)
            case .regular:
                try writeFile(dir, name, entry, reader: reader)
            case .symbolicLink:
                guard !entry.linkName.contains(0) else { throw ImageError.invalidImage("symlink target contains a NUL byte") }
                try At.symlink(entry.linkName, dir, name)
                try own(dir, name, entry)
                for (key, value) in allowedAttributes(entry) {
                    do {
                        try ExtendedAttributes.set(linkPath: dir.procSelfPath + "/" + ScopedRoot.text(name), name: key, value: value)
                    } catch {
                        logger.debug("xattr not set", metadata: ["path": "\(entry.pathText)", "error": "\(error)"])
                    }
                }
                try At.setTimes(dir, name, accessed: entry.accessed ?? entry.modified, modified: entry.modified)
            case .hardLink:
                try hardLink(dir, name, entry)
                return
            case .characterDevice, .blockDevice, .fifo:
                let type: mode_t = entry.kind == .fifo ? S_IFIFO : entry.kind == .characterDevice ? S_IFCHR : S_IFBLK
                let device = At.device(major: entry.deviceMajor, minor: entry.deviceMinor)
                guard try makeNode(dir, name, type: type, device: device, entry) else { return }
                try own(dir, name, entry)
                try chmod(dir, name, entry)
                try At.setTimes(dir, name, accessed: entry.accessed ?? entry.modified, modified: entry.modified)
            }
        } catch let error as SystemError {
            throw .invalidImage("layer member \"\(entry.pathText)\": \(error)")
        } catch let error as ImageError {
            throw error
        } catch {
            throw .invalidImage("layer member \"\(entry.pathText)\": \(error)")
        }
    }

    /// Directory modes and times last, deepest first, so that writing their contents did not
    /// change the times and a read-only mode did not get in the way.
    func finish() throws(ImageError) {
        for (components, entry) in directories.reversed() {
            do {
                let fd: FileDescriptor
                if let name = components.last {
                    let parent = try root.openDirectory(Array(components.dropLast()), create: false)
                    defer { parent.close() }
                    // A later member may have put something else there: then the directory is gone.
                    guard let opened = try? At.open(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW) else { continue }
                    fd = opened
                } else {
                    fd = try FileDescriptor.open(root.path, O_RDONLY | O_DIRECTORY)
                    if privileged { try? fd.changeOwner(uid: entry.uid, gid: entry.gid) }
                }
                defer { fd.close() }
                try fd.changeMode(mode_t(entry.mode & 0o7777), subject: entry.pathText)
                try fd.setTimes(accessed: entry.accessed ?? entry.modified, modified: entry.modified)
            } catch let error as SystemError {
                throw .invalidImage("layer directory \"\(entry.pathText)\": \(error)")
            } catch {
                throw .invalidImage("layer directory \"\(entry.pathText)\": \(error)")
            }
        }
        directories = []
        directoryIndex = [:]
    }

    /// The last member for a directory decides its mode and times.
    private func remember(_ components: [ScopedRoot.Component], _ entry: TarEntry) {
        if let index = directoryIndex[components] {
            directories[index].entry = entry
        } else {
            directoryIndex[components] = directories.count
            directories.append((components, entry))
        }
    }

    /// False when an unprivileged extraction skipped a device node it may not create.
    private func makeNode(_ dir: FileDescriptor, _ name: [UInt8], type: mode_t, device: dev_t, _ entry: TarEntry) throws(SystemError) -> Bool {
        do throws(SystemError) {
            try At.makeNode(dir, name, mode: type | mode_t(entry.mode & 0o777), device: device, subject: entry.pathText)
            return true
        } catch where error.errno == EPERM && type != S_IFIFO && !privileged {
            logger.warning("device node skipped: not privileged", metadata: ["path": "\(entry.pathText)"])
            return false
        }
    }

    private func writeFile(_ dir: FileDescriptor, _ name: [UInt8], _ entry: TarEntry, reader: TarReader) throws -> Void {
        let fd = try At.open(dir, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, mode: 0o600)
        defer { fd.close() }
        try reader.readContent { (chunk) throws(ImageError) in
            do throws(SystemError) { try fd.writeAll(chunk, using: .write, subject: entry.pathText) } catch { throw .system(error) }
        }
        if privileged || ProcessControl.effectiveUserID == uid_t(truncatingIfNeeded: entry.uid) {
            try fd.changeOwner(uid: entry.uid, gid: entry.gid, subject: entry.pathText)
        }
        // After chown, which clears setuid and setgid.
        try fd.changeMode(mode_t(entry.mode & 0o7777), subject: entry.pathText)
        setAttributes(entry, fd: fd)
        try fd.setTimes(accessed: entry.accessed ?? entry.modified, modified: entry.modified)
    }

    private func hardLink(_ dir: FileDescriptor, _ name: [UInt8], _ entry: TarEntry) throws {
        var target = ScopedRoot.clean(entry.linkName)
        guard let targetName = target.popLast() else {
            throw ImageError.invalidImage("layer member \"\(entry.pathText)\": hard link to the layer's root")
        }
        let targetDir: FileDescriptor
        do {
            targetDir = try root.openDirectory(target, create: false)
        } catch {
            throw ImageError.invalidImage("layer member \"\(entry.pathText)\": hard link target \"\(ScopedRoot.text(entry.linkName))\" is not in the layer")
        }
        defer { targetDir.close() }
        guard let info = try At.status(targetDir, targetName), info.kind != .directory else {
            throw ImageError.invalidImage("layer member \"\(entry.pathText)\": hard link target \"\(ScopedRoot.text(entry.linkName))\" is not in the layer")
        }
        try At.link(targetDir, targetName, dir, name)
    }

    private func whiteout(_ name: [UInt8], in components: [ScopedRoot.Component], entry: TarEntry) throws(ImageError) {
        do {
            let dir = try root.directory(components, create: true)
            if name == LayerExtractor.opaqueMarker {
                try ExtendedAttributes.set(path: dir.procSelfPath, name: "trusted.overlay.opaque", value: Array("y".utf8))
                return
            }
            let hidden = Array(name.dropFirst(LayerExtractor.whiteoutPrefix.count))
            // Other `.wh..wh.` names are AUFS bookkeeping, meaningless to overlay.
            if hidden.isEmpty || hidden.starts(with: LayerExtractor.whiteoutPrefix) { return }
            let parent = try clear(dir, hidden, keepingDirectory: false) ? try root.directory(components, create: true) : dir
            try At.makeNode(parent, hidden, mode: S_IFCHR | 0o000, device: 0)
            try own(parent, hidden, entry)
        } catch let error as SystemError {
            throw .invalidImage("layer whiteout \"\(entry.pathText)\": \(error)")
        } catch let error as ImageError {
            throw error
        } catch {
            throw .invalidImage("layer whiteout \"\(entry.pathText)\": \(error)")
        }
    }

    /// Makes room for a new member: whatever was there goes, except a directory that stays one.
    /// Whatever went may be a directory or symlink that a cached resolution went through, so
    /// the cache is dropped, `dir` with it when it was the cached one: true says to resolve again.
    private func clear(_ dir: FileDescriptor, _ name: [UInt8], keepingDirectory: Bool) throws -> Bool {
        guard let info = try At.status(dir, name) else { return false }
        if info.kind == .directory && keepingDirectory { return false }
        defer { root.invalidate() }
        if info.kind == .directory {
            FileSystem.removeTree(dir.procSelfPath + "/" + ScopedRoot.text(name))
            if try At.status(dir, name) != nil { throw SystemError("remove", ScopedRoot.text(name), errno: ENOTEMPTY) }
        } else {
            try At.unlink(dir, name)
        }
        return true
    }

    private func own(_ dir: FileDescriptor, _ name: [UInt8], _ entry: TarEntry) throws(SystemError) {
        guard privileged else { return }
        try At.chown(dir, name, uid: entry.uid, gid: entry.gid)
    }

    private func chmod(_ dir: FileDescriptor, _ name: [UInt8], _ entry: TarEntry) throws(SystemError) {
        try At.changeMode(dir, name, mode_t(entry.mode & 0o7777), subject: entry.pathText)
    }

    /// A layer may not forge overlay's own metadata (a redirect could point anywhere).
    private func allowedAttributes(_ entry: TarEntry) -> [(String, [UInt8])] {
        entry.xattrs.filter { !$0.name.hasPrefix("trusted.overlay.") }.map { ($0.name, $0.value) }
    }

    private func setAttributes(_ entry: TarEntry, fd: FileDescriptor) {
        for (key, value) in allowedAttributes(entry) {
            do {
                try ExtendedAttributes.set(fd: fd, name: key, value: value)
            } catch {
                logger.debug("xattr not set", metadata: ["path": "\(entry.pathText)", "error": "\(error)"])
            }
        }
    }
}
