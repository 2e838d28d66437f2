@testable import CorralImages
import CorralRegistry
import CorralSystem
import Testing
import TestSupport

#if canImport(Glibc)
import Glibc
#endif

@Suite("Content store")
struct ContentStoreTests {
    @Test("a blob lands under sha256/<hex> only once verified")
    func commitsVerified() throws {
        let dir = try TemporaryDirectory("content")
        defer { dir.remove() }
        let store = try ContentStore(root: dir.path + "/content")
        let bytes = Array("hello layers".utf8)
        let digest = Digest.of(bytes)
        let writer = try store.writer()
        try writer.write(Array(bytes[..<5]))
        #expect(!store.contains(digest))
        try writer.write(Array(bytes[5...]))
        let path = try writer.commit(expected: digest, size: Int64(bytes.count))
        #expect(path == dir.path + "/content/sha256/" + digest.hex)
        #expect(try store.read(digest) == bytes)
        #expect(try FileSystem.listDirectory(dir.path + "/content/ingest").isEmpty)
        // The same blob again: stored once, no error.
        try store.store(bytes, as: digest)
        #expect(store.list() == [digest])
    }

    @Test("a digest mismatch is an error and stores nothing")
    func mismatch() throws {
        let dir = try TemporaryDirectory("content")
        defer { dir.remove() }
        let store = try ContentStore(root: dir.path + "/content")
        let claimed = Digest.of(Array("what the manifest says".utf8))
        let writer = try store.writer()
        try writer.write(Array("what the server sent".utf8))
        #expect(throws: ImageError.self) { try writer.commit(expected: claimed, size: nil) }
        do {
            _ = try store.writer().commit(expected: claimed, size: nil)
        } catch let error as ImageError {
            guard case .digestMismatch(let expected, _) = error else { Issue.record("\(error)"); return }
            #expect(expected == claimed.description)
        }
        #expect(!store.contains(claimed))
        #expect(store.list().isEmpty)
        #expect(try FileSystem.listDirectory(dir.path + "/content/ingest").isEmpty)
    }

    @Test("a size mismatch is an error and stores nothing")
    func sizeMismatch() throws {
        let dir = try TemporaryDirectory("content")
        defer { dir.remove() }
        let store = try ContentStore(root: dir.path + "/content")
        let bytes = Array("twelve bytes".utf8)
        #expect(throws: ImageError.sizeMismatch(digest: Digest.of(bytes).description, expected: 13, actual: 12)) {
            let writer = try store.writer()
            try writer.write(bytes)
            try writer.commit(expected: Digest.of(bytes), size: 13)
        }
        #expect(store.list().isEmpty)
    }

    @Test("copying a file verifies it")
    func copyVerifies() throws {
        let dir = try TemporaryDirectory("content")
        defer { dir.remove() }
        let store = try ContentStore(root: dir.path + "/content")
        let bytes = [UInt8](repeating: 7, count: 3 << 20)
        try dir.write("blob", bytes)
        try store.copy(file: dir.path + "/blob", as: Digest.of(bytes), size: Int64(bytes.count))
        #expect(store.size(of: Digest.of(bytes)) == Int64(bytes.count))
        let other = Digest.of(Array("other".utf8))
        #expect(throws: ImageError.self) { try store.copy(file: dir.path + "/blob", as: other, size: nil) }
        #expect(!store.contains(other))
    }

    @Test("chain IDs follow the image-spec")
    func chainIDs() throws {
        let d0 = Digest.of(Array("layer0".utf8)).description
        let d1 = Digest.of(Array("layer1".utf8)).description
        let d2 = Digest.of(Array("layer2".utf8)).description
        let chain = ChainID.compute([d0, d1, d2])
        #expect(chain[0] == d0)
        let c1 = Digest.of(Array((d0 + " " + d1).utf8)).description
        #expect(chain[1] == c1)
        #expect(chain[2] == Digest.of(Array((c1 + " " + d2).utf8)).description)
        // A well-known pair: sha256 of the empty string's hex applied twice.
        let empty = "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        #expect(ChainID.compute([empty, empty])[1] == Digest.of(Array((empty + " " + empty).utf8)).description)
    }
}
