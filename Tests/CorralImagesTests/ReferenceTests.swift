@testable import CorralImages
import CorralRegistry
import Testing

@Suite("Image references")
struct ReferenceTests {
    @Test("docker-style normalisation", arguments: [
        ("busybox", "docker.io/library/busybox:latest"),
        ("busybox:1.36", "docker.io/library/busybox:1.36"),
        ("foo/bar", "docker.io/foo/bar:latest"),
        ("docker.io/busybox", "docker.io/library/busybox:latest"),
        ("index.docker.io/library/busybox", "docker.io/library/busybox:latest"),
        ("localhost/foo", "localhost/foo:latest"),
        ("localhost:5000/foo/bar:v1", "localhost:5000/foo/bar:v1"),
        ("127.0.0.1:5000/a_b/c-d/e__f:Tag.1", "127.0.0.1:5000/a_b/c-d/e__f:Tag.1"),
        ("registry.k8s.io/pause:3.9", "registry.k8s.io/pause:3.9"),
        ("Example.COM/foo", "Example.COM/foo:latest"),
        ("localhost:5000", "docker.io/library/localhost:5000"),
    ])
    func normalises(input: String, expected: String) throws {
        #expect(try ImageReference.parse(input).description == expected)
    }

    @Test("digests, with and without a tag")
    func digests() throws {
        let hex = String(repeating: "ab", count: 32)
        let byDigest = try ImageReference.parse("busybox@sha256:" + hex)
        #expect(byDigest.tag == nil)
        #expect(byDigest.digest == "sha256:" + hex)
        #expect(byDigest.description == "docker.io/library/busybox@sha256:" + hex)
        let both = try ImageReference.parse("quay.io/x/y:1.0@sha256:" + hex)
        #expect(both.tag == "1.0")
        #expect(both.domain == "quay.io")
        #expect(both.digested == "quay.io/x/y@sha256:" + hex)
    }

    @Test("invalid references say so", arguments: [
        "UPPER/case", "busybox:", "busybox:-tag", "busybox@sha256:1234", "foo//bar", "/foo", "foo/",
        "foo bar", "busybox@md5:abc", "a:b:c", "",
        String(repeating: "ab", count: 32),
    ])
    func rejects(input: String) {
        #expect(throws: ImageError.self) { try ImageReference.parse(input) }
    }

    @Test("the message names the reference")
    func message() {
        do {
            _ = try ImageReference.parse("UPPER/case")
            Issue.record("parsed")
        } catch {
            #expect(error.description.hasPrefix("invalid reference \"UPPER/case\""))
            #expect(error.description.contains("lowercase"))
        }
    }
}
