#if canImport(Glibc)
import Glibc
#endif
import CorralSystem

/// Writes a tar archive to a descriptor, member by member: headers from `TarMember`, contents
/// from memory or copied from files.
public struct TarWriter {
    private let output: FileDescriptor

    public init(_ output: FileDescriptor) {
        self.output = output
    }

    /// A member without content: a directory, symlink, device or FIFO.
    public func add(_ member: TarMember) throws(SystemError) {
        try output.writeAll(member.headerBlocks)
    }

    public func directory(_ name: String, mode: Int = 0o755) throws(SystemError) {
        try add(TarMember(name: name.hasSuffix("/") ? name : name + "/", kind: .directory, mode: mode))
    }

    public func file(_ name: String, bytes: [UInt8], mode: Int = 0o644) throws(SystemError) {
        try output.writeAll(TarMember(name: name, kind: .regular, size: bytes.count, mode: mode).headerBlocks)
        try output.writeAll(bytes)
        try output.writeAll(TarMember.padding(bytes.count))
    }

    /// A member whose content is copied from `path`, which must hold exactly `member.size` bytes.
    public func file(_ member: TarMember, copying path: String) throws(SystemError) {
        let input = try FileDescriptor.open(path, O_RDONLY | O_CLOEXEC)
        defer { input.close() }
        try output.writeAll(member.headerBlocks)
        var copied = 0
        while copied < member.size {
            let chunk = try input.read(upTo: min(1 << 20, member.size - copied))
            guard !chunk.isEmpty else { throw SystemError("read", path + " (shorter than its \(member.size) bytes)", errno: EIO) }
            try output.writeAll(chunk)
            copied += chunk.count
        }
        try output.writeAll(TarMember.padding(member.size))
    }

    public func file(_ name: String, copying path: String, size: Int, mode: Int = 0o644) throws(SystemError) {
        try file(TarMember(name: name, kind: .regular, size: size, mode: mode), copying: path)
    }

    /// Two zero blocks end the archive.
    public func finish() throws(SystemError) {
        try output.writeAll([UInt8](repeating: 0, count: 2 * TarMember.block))
    }
}
