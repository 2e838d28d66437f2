@testable import CorralImages
@testable import CorralRegistry
import CorralSystem
import OCISpec
import Testing
import TestSupport

/// The parts of the distribution protocol a real registry won't show on demand, against a
/// fake one: token auth, schema 1, failures, stalls, corrupt blobs, shared downloads.
@Suite("Registry protocol", .serialized)
struct RegistryProtocolTests {
    func fixture(_ label: String, knobs: FakeRegistry.Knobs = .init()) async throws -> (TemporaryDirectory, FakeRegistry, Descriptor) {
        let dir = try TemporaryDirectory(label)
        let layout = try LayoutBuilder(path: dir.path + "/layout")
        let (manifest, _) = try await layout.image(layers: [try LayoutBuilder.busyboxLayer(), LayoutBuilder.changesLayer()])
        try layout.index([manifest])
        let fake = try FakeRegistry(layout: layout.path, tags: ["v1": manifest.digest], knobs: knobs)
        return (dir, fake, manifest)
    }

    @Test("Bearer tokens from the realm, with Basic credentials, fetched once per scope")
    func bearerToken() async throws {
        var knobs = FakeRegistry.Knobs()
        knobs.requireToken = true
        knobs.tokenCredentials = ("user", "secret")
        let (dir, fake, manifest) = try await fixture("bearer", knobs: knobs)
        defer { dir.remove(); fake.stop() }
        try await withStore(root: dir.path + "/root", registry: .plain(fake.address)) { store in
            let image = try await store.pull(fake.address + "/team/app:v1", auth: RegistryCredentials(username: "user", password: "secret"))
            #expect(image.repoDigests == [fake.address + "/team/app@" + manifest.digest])
            #expect(fake.stats.tokenRequests == 1)

            await #expect {
                try await store.pull(fake.address + "/team/app:v1", auth: RegistryCredentials(username: "user", password: "wrong"))
            } throws: { error in
                guard case ImageError.registry(let status, let message) = error else { return false }
                return status == 401 && message.contains("bad credentials")
            }
        }
        // Docker's `auth` field, base64 of user:pass, in a store with no cached token.
        try await withStore(root: dir.path + "/root2", registry: .plain(fake.address)) { store in
            let auth = RegistryCredentials(auth: Base64.encode(Array("user:secret".utf8)))
            _ = try await store.pull(fake.address + "/team/app:v1", auth: auth)
            await #expect(throws: ImageError.self) { try await store.pull(fake.address + "/team/app@" + manifest.digest, auth: nil) }
        }
    }

    @Test("schema 1 manifests are refused with a clear error")
    func schema1() async throws {
        var knobs = FakeRegistry.Knobs()
        let body = #"{"schemaVersion":1,"name":"team/old","tag":"old","architecture":"amd64","fsLayers":[],"history":[],"signatures":[]}"#
        knobs.rawManifests["old"] = (MediaType.dockerSchema1Signed, Array(body.utf8))
        knobs.rawManifests["untyped"] = ("application/json", Array(body.utf8))
        let (dir, fake, _) = try await fixture("schema1", knobs: knobs)
        defer { dir.remove(); fake.stop() }
        try await withStore(root: dir.path + "/root", registry: .plain(fake.address)) { store in
            for tag in ["old", "untyped"] {
                do {
                    _ = try await store.pull(fake.address + "/team/old:" + tag, auth: nil)
                    Issue.record("schema 1 pulled")
                } catch {
                    #expect("\(error)" == "\(fake.address)/team/old:\(tag) uses Docker image manifest schema 1, which is not supported")
                }
            }
            #expect(store.list().isEmpty)
        }
    }

    @Test("5xx answers are retried and a dropped download resumes with a Range request")
    func retriesAndResume() async throws {
        var knobs = FakeRegistry.Knobs()
        knobs.blobFaults = ["503", "drop"]
        let (dir, fake, _) = try await fixture("retry", knobs: knobs)
        defer { dir.remove(); fake.stop() }
        var configuration = RegistryConfiguration.plain(fake.address)
        configuration.maxConcurrentDownloads = 1
        try await withStore(root: dir.path + "/root", registry: configuration) { store in
            let image = try await store.pull(fake.address + "/team/app:v1", auth: nil)
            #expect(store.readFile("/bin/busybox", in: image)?.isEmpty == false)
            let stats = fake.stats
            #expect(stats.rangeRequests.count == 1)
            #expect(stats.rangeRequests.first.map { $0 != "bytes=0-" } == true)
        }
    }

    @Test("a blob that is not what its digest says fails the pull and is not kept")
    func corruptBlob() async throws {
        var knobs = FakeRegistry.Knobs()
        let (dir, fake, manifest) = try await fixture("corrupt")
        fake.stop()
        let layoutManifest = try JSONCoding.decode(ImageManifest.self, from: try FileSystem.readFile(dir.path + "/layout/blobs/sha256/" + manifest.digest.dropFirst(7)), what: "m")
        let layer = layoutManifest.layers[1].digest
        knobs.corrupt = [layer]
        let corrupting = try FakeRegistry(layout: dir.path + "/layout", tags: ["v1": manifest.digest], knobs: knobs)
        defer { dir.remove(); corrupting.stop() }
        try await withStore(root: dir.path + "/root", registry: .plain(corrupting.address)) { store in
            await #expect {
                try await store.pull(corrupting.address + "/team/app:v1", auth: nil)
            } throws: { error in
                guard case ImageError.digestMismatch(let expected, _) = error else { return false }
                return expected == layer
            }
            #expect(store.list().isEmpty)
            #expect(!FileSystem.exists(dir.path + "/root/content/sha256/" + layer.dropFirst(7)))
            #expect((try? FileSystem.listDirectory(dir.path + "/root/content/ingest"))?.isEmpty == true)
        }
    }

    @Test("a download that stops making progress is cancelled after the progress timeout")
    func progressTimeout() async throws {
        var knobs = FakeRegistry.Knobs()
        knobs.blobFaults = ["stall", "stall", "stall"]
        let (dir, fake, _) = try await fixture("stall", knobs: knobs)
        defer { dir.remove(); fake.stop() }
        var configuration = RegistryConfiguration.plain(fake.address, progressTimeout: .seconds(1))
        configuration.maxConcurrentDownloads = 1
        try await withStore(root: dir.path + "/root", registry: configuration) { store in
            let started = ContinuousClock.now
            await #expect {
                try await store.pull(fake.address + "/team/app:v1", auth: nil)
            } throws: { error in
                guard case ImageError.timeout(let message) = error else { return false }
                return message.contains("no progress")
            }
            #expect(ContinuousClock.now - started < .seconds(6))
        }
    }

    @Test("pulls of the same image at once share one download per blob")
    func sharedDownloads() async throws {
        let (dir, fake, _) = try await fixture("shared")
        defer { dir.remove(); fake.stop() }
        try await withStore(root: dir.path + "/root", registry: .plain(fake.address)) { store in
            let ids = try await withThrowingTaskGroup(of: String.self) { group in
                for _ in 0..<4 { group.addTask { try await store.pull(fake.address + "/team/app:v1", auth: nil).id } }
                return try await group.reduce(into: Set<String>()) { $0.insert($1) }
            }
            #expect(ids.count == 1)
            let stats = fake.stats
            #expect(stats.blobRequests.count == 3)
            #expect(stats.blobRequests.values.allSatisfy { $0 == 1 })
        }
    }

    @Test("a dead mirror gives way to the next endpoint")
    func mirrorFallback() async throws {
        let (dir, fake, _) = try await fixture("fallback")
        defer { dir.remove(); fake.stop() }
        let dead = try TCP.freePort()
        let configuration = RegistryConfiguration(mirrors: [
            "registry.example": .init(endpoints: ["http://127.0.0.1:\(dead)", "http://\(fake.address)/"], upstream: false),
        ], retries: 1)
        try await withStore(root: dir.path + "/root", registry: configuration) { store in
            let image = try await store.pull("registry.example/team/app:v1", auth: nil)
            #expect(image.repoTags == ["registry.example/team/app:v1"])
        }
    }

    @Test("endpoints: mirrors in order, then the registry, docker.io's at registry-1.docker.io")
    func endpoints() throws {
        let configuration = RegistryConfiguration(mirrors: [
            "docker.io": .init(endpoints: ["http://127.0.0.1:5000", "https://mirror.example/prefix/"]),
            "quay.io": .init(endpoints: ["mirror.example:8443"], upstream: false),
        ], hosts: ["insecure.example:5000": .init(plainHTTP: true)])
        #expect(try RegistryEndpoint.endpoints(for: "docker.io", configuration: configuration).map(\.base) == [
            "http://127.0.0.1:5000/v2", "https://mirror.example/prefix/v2", "https://registry-1.docker.io/v2",
        ])
        #expect(try RegistryEndpoint.endpoints(for: "quay.io", configuration: configuration).map(\.base) == ["https://mirror.example:8443/v2"])
        #expect(try RegistryEndpoint.endpoints(for: "insecure.example:5000", configuration: configuration).map(\.base) == ["http://insecure.example:5000/v2"])
        #expect(try RegistryEndpoint.endpoints(for: "ghcr.io", configuration: configuration).map(\.base) == ["https://ghcr.io/v2"])
    }

    @Test("WWW-Authenticate challenges parse")
    func challenges() {
        let bearer = AuthChallenge.parse(#"Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/busybox:pull""#)
        #expect(bearer?.scheme == "bearer")
        #expect(bearer?.realm == "https://auth.docker.io/token")
        #expect(bearer?.parameters["scope"] == "repository:library/busybox:pull")
        let basic = AuthChallenge.parse(#"Basic realm="Registry Realm""#)
        #expect(basic == AuthChallenge(scheme: "basic", parameters: ["realm": "Registry Realm"]))
        #expect(Base64.decode(Base64.encode(Array("user:pa:ss".utf8))) == Array("user:pa:ss".utf8))
        #expect(RegistryCredentials(auth: Base64.encode(Array("user:pa:ss".utf8))).basic?.password == "pa:ss")
    }
}
