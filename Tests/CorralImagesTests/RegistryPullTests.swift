@testable import CorralImages
import CorralRegistry
import CorralSystem
import OCISpec
import Testing
import TestSupport

#if canImport(Glibc)
import Glibc
#endif

/// Pulls from Debian's docker-registry, filled by skopeo from layouts built here.
@Suite("Pulling from docker-registry", .serialized)
struct RegistryPullTests {
    func busyboxLayout(_ dir: TemporaryDirectory, name: String = "layout", user: String = "app") async throws -> (LayoutBuilder, Descriptor) {
        let layout = try LayoutBuilder(path: dir.path + "/" + name)
        let (manifest, _) = try await layout.image(layers: [try LayoutBuilder.busyboxLayer(), LayoutBuilder.changesLayer(user: user)],
                                                   refName: "latest")
        try layout.index([manifest])
        return (layout, manifest)
    }

    @Test("busybox through a docker.io mirror, by tag and by digest")
    func pullThroughMirror() async throws {
        let registry = try await DockerRegistry()
        defer { registry.stop() }
        let dir = try TemporaryDirectory("pull")
        defer { dir.remove() }
        let (layout, manifest) = try await busyboxLayout(dir)
        try await registry.push(layout: layout.path, tag: "latest", to: "library/busybox:latest")

        try await withStore(root: dir.path + "/root", registry: .mirroringDockerHub(to: registry.address)) { store in
            let image = try await store.pull("busybox", auth: nil)
            #expect(image.repoTags == ["docker.io/library/busybox:latest"])
            #expect(image.repoDigests == ["docker.io/library/busybox@" + manifest.digest])
            #expect(image.manifestDigest == manifest.digest)
            #expect(store.image("busybox") == image)
            #expect(store.readFile("/etc/passwd", in: image).map { String(decoding: $0, as: UTF8.self).contains("app:x") } == true)
            #expect(fileType(store.lowerDirs(of: image)[1] + "/bin/busybox") == S_IFREG)

            try store.remove("busybox")
            #expect(store.list().isEmpty)
            let byDigest = try await store.pull("docker.io/library/busybox@" + manifest.digest, auth: nil)
            #expect(byDigest.id == image.id)
            #expect(byDigest.repoTags.isEmpty)
            #expect(byDigest.repoDigests == ["docker.io/library/busybox@" + manifest.digest])
            #expect(try FileSystem.listDirectory(dir.path + "/root/content/ingest").isEmpty)
        }
    }

    @Test("an image that is not there is reported as not found")
    func missing() async throws {
        let registry = try await DockerRegistry()
        defer { registry.stop() }
        let dir = try TemporaryDirectory("missing")
        defer { dir.remove() }
        try await withStore(root: dir.path + "/root", registry: .mirroringDockerHub(to: registry.address)) { store in
            await #expect {
                try await store.pull("nothing/here:v1", auth: nil)
            } throws: { error in
                guard case ImageError.notFound(let what) = error else { return false }
                return "\(error)" == "image \"docker.io/nothing/here:v1\" not found" && what == "docker.io/nothing/here:v1"
            }
        }
    }

    @Test("a multi-arch index gives this machine's image")
    func multiArch() async throws {
        let registry = try await DockerRegistry()
        defer { registry.stop() }
        let dir = try TemporaryDirectory("multiarch")
        defer { dir.remove() }
        let layout = try LayoutBuilder(path: dir.path + "/layout")
        let (amd, amdConfig) = try await layout.image(layers: [try LayoutBuilder.busyboxLayer()], architecture: "amd64")
        let (arm, armConfig) = try await layout.image(layers: [LayoutBuilder.changesLayer(user: "arm")], architecture: "arm64", variant: "v8")
        var index = try layout.blob(JSONCoding.encode(ImageIndex(manifests: [arm, amd])), mediaType: MediaType.ociIndex)
        index.annotations = [ImageAnnotation.refName: "multi"]
        try layout.index([index])
        try await registry.push(layout: layout.path, tag: "multi", to: "library/multi:1", all: true)

        try await withStore(root: dir.path + "/root", registry: .mirroringDockerHub(to: registry.address)) { store in
            let image = try await store.pull("multi:1", auth: nil)
            #expect(PlatformMatch.host.architecture == "amd64")
            #expect(image.id == amdConfig)
            #expect(image.id != armConfig)
            #expect(image.config.architecture == "amd64")
            #expect(image.repoTags == ["docker.io/library/multi:1"])
            #expect(image.repoDigests == ["docker.io/library/multi@" + index.digest])
            #expect(image.manifestDigest == amd.digest)
            #expect(store.image("multi@" + index.digest) == image)
        }
    }

    @Test("pulling a tag again moves it to the new image; the old one stays by id")
    func tagMoves() async throws {
        let registry = try await DockerRegistry()
        defer { registry.stop() }
        let dir = try TemporaryDirectory("tagmove")
        defer { dir.remove() }
        let (first, _) = try await busyboxLayout(dir, name: "one", user: "first")
        let (second, _) = try await busyboxLayout(dir, name: "two", user: "second")
        try await withStore(root: dir.path + "/root", registry: .mirroringDockerHub(to: registry.address)) { store in
            try await registry.push(layout: first.path, tag: "latest", to: "team/app:stable")
            let old = try await store.pull("team/app:stable", auth: nil)
            try await registry.push(layout: second.path, tag: "latest", to: "team/app:stable")
            let new = try await store.pull("team/app:stable", auth: nil)
            #expect(old.id != new.id)
            #expect(new.repoTags == ["docker.io/team/app:stable"])
            let kept = try #require(store.image(old.id))
            #expect(kept.repoTags.isEmpty)
            #expect(kept.repoDigests == old.repoDigests)
            #expect(store.image("team/app:stable")?.id == new.id)
            // The base layer is shared, so it was unpacked once.
            #expect(old.chainIDs[0] == new.chainIDs[0])
            #expect(try FileSystem.listDirectory(dir.path + "/root/snapshots").count == 3)
        }
    }

    @Test("two pulls of the same image at once agree")
    func concurrentPulls() async throws {
        let registry = try await DockerRegistry()
        defer { registry.stop() }
        let dir = try TemporaryDirectory("concurrentpull")
        defer { dir.remove() }
        let (layout, _) = try await busyboxLayout(dir)
        try await registry.push(layout: layout.path, tag: "latest", to: "library/busybox:latest")
        try await withStore(root: dir.path + "/root", registry: .mirroringDockerHub(to: registry.address)) { store in
            async let a = store.pull("busybox", auth: nil)
            async let b = store.pull("docker.io/library/busybox:latest", auth: nil)
            let (x, y) = try await (a, b)
            #expect(x.id == y.id)
            #expect(store.list().count == 1)
            #expect(try FileSystem.listDirectory(dir.path + "/root/snapshots").count == 2)
            #expect(try FileSystem.listDirectory(dir.path + "/root/content/ingest").isEmpty)
        }
    }
}

/// HTTPS registries: verified against the system CAs by default, a CA file, no verification,
/// client certificates, all per host.
@Suite("Pulling over TLS", .serialized)
struct RegistryTLSTests {
    func pushedBusybox(_ registry: DockerRegistry, _ dir: TemporaryDirectory) async throws {
        let layout = try LayoutBuilder(path: dir.path + "/layout")
        let (manifest, _) = try await layout.image(layers: [try LayoutBuilder.busyboxLayer()], refName: "latest")
        try layout.index([manifest])
        try await registry.push(layout: layout.path, tag: "latest", to: "team/tls:1")
    }

    @Test("an unknown CA fails at once; a CA file or skipping verification works")
    func serverCertificates() async throws {
        let registry = try await DockerRegistry(tls: true)
        defer { registry.stop() }
        let dir = try TemporaryDirectory("tls")
        defer { dir.remove() }
        try await pushedBusybox(registry, dir)
        let certs = try #require(registry.certificates)
        let ref = registry.address + "/team/tls:1"

        try await withStore(root: dir.path + "/root", registry: RegistryConfiguration()) { store in
            let started = ContinuousClock.now
            await #expect {
                try await store.pull(ref, auth: nil)
            } throws: { error in
                "\(error)".contains("CERTIFICATE_VERIFY_FAILED") && "\(error)".contains("ca_file")
            }
            #expect(ContinuousClock.now - started < .seconds(3))
        }
        for settings in [RegistryConfiguration.Host(caFile: certs.caCert), RegistryConfiguration.Host(insecureSkipVerify: true)] {
            try await withStore(root: dir.path + "/root", registry: RegistryConfiguration(hosts: [registry.address: settings])) { store in
                let image = try await store.pull(ref, auth: nil)
                #expect(image.repoTags == [ref])
                try store.remove(image.id)
            }
        }
        // A mirror endpoint takes the settings of its own host.
        let mirrored = RegistryConfiguration(mirrors: ["docker.io": .init(endpoints: ["https://" + registry.address], upstream: false)],
                                             hosts: [registry.address: .init(caFile: certs.caCert)])
        try await withStore(root: dir.path + "/root", registry: mirrored) { store in
            let image = try await store.pull("team/tls:1", auth: nil)
            #expect(image.repoTags == ["docker.io/team/tls:1"])
        }
    }

    @Test("a registry that wants a client certificate gets the configured one")
    func clientCertificates() async throws {
        let registry = try await DockerRegistry(tls: true, clientCertificates: true)
        defer { registry.stop() }
        let dir = try TemporaryDirectory("mtls")
        defer { dir.remove() }
        try await pushedBusybox(registry, dir)
        let certs = try #require(registry.certificates)
        let ref = registry.address + "/team/tls:1"
        try await withStore(root: dir.path + "/root", registry: RegistryConfiguration(hosts: [registry.address: .init(caFile: certs.caCert)])) { store in
            await #expect(throws: (any Error).self) { try await store.pull(ref, auth: nil) }
        }
        let withClient = RegistryConfiguration(hosts: [registry.address: .init(caFile: certs.caCert, certFile: certs.clientCert, keyFile: certs.clientKey)])
        try await withStore(root: dir.path + "/root", registry: withClient) { store in
            let image = try await store.pull(ref, auth: nil)
            #expect(image.repoTags == [ref])
        }
    }
}
