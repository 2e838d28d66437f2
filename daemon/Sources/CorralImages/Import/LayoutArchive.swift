#if canImport(Glibc)
import Glibc
#endif
import CorralRegistry
import CorralSystem

/// An OCI layout in a tar archive, read in one pass: every `blobs/sha256/<hex>` member is
/// streamed into the content store (verified against its name), `index.json` is kept.
enum LayoutArchive {
    static func load(_ path: String, into store: ContentStore, leasing session: LeaseSet) throws(ImageError) -> [UInt8] {
        let fd: FileDescriptor
        do { fd = try FileDescriptor.open(path, O_RDONLY) } catch { throw .system(error) }
        defer { fd.close() }
        let reader = TarReader(try Compression.decompressing(FileSource(fd: fd, name: path)))
        var index: [UInt8]?
        while let entry = try reader.next() {
            guard entry.kind == .regular else { continue }
            let components = ScopedRoot.clean(entry.path).map { String(decoding: $0, as: UTF8.self) }
            if components == ["index.json"] {
                guard entry.size <= 16 << 20 else { throw .invalidImage("\(path): index.json is too large") }
                var bytes: [UInt8] = []
                try reader.readContent { bytes += $0 }
                index = bytes
            } else if components.count == 3, components[0] == "blobs", components[1] == "sha256", Digest.isHex(components[2]) {
                let digest = Digest(hex: components[2])
                session.add(digest.description)
                if store.contains(digest) { continue }
                let blob: BlobWriter
                do { blob = try store.writer() } catch { throw .system(error) }
                do {
                    try reader.readContent { (chunk) throws(ImageError) in
                        do throws(SystemError) { try blob.write(chunk) } catch { throw .system(error) }
                    }
                } catch {
                    blob.abort()
                    throw error
                }
                try blob.commit(expected: digest, size: entry.size)
            }
        }
        guard let index else { throw .invalidImage("\(path) is not an OCI image layout archive: no index.json") }
        return index
    }
}
