@testable import CorralImages
import CorralRegistry
import CorralSystem
import OCISpec

/// Builds OCI image layouts on disk for the tests: blobs, configs, manifests, index.json.
struct LayoutBuilder {
    enum LayerCompression { case none, gzip, zstd }

    let path: String

    init(path: String) throws {
        self.path = path
        try FileSystem.makeDirectories(path + "/blobs/sha256", mode: 0o755)
        try FileSystem.writeAtomically(path + "/oci-layout", Array(#"{"imageLayoutVersion":"1.0.0"}"#.utf8))
    }

    @discardableResult
    func blob(_ bytes: [UInt8], mediaType: String) throws -> Descriptor {
        let digest = Digest.of(bytes)
        try FileSystem.writeAtomically(path + "/blobs/sha256/" + digest.hex, bytes)
        return Descriptor(mediaType: mediaType, digest: digest.description, size: Int64(bytes.count))
    }

    /// An image of the given plain tar layers (bottom first); answers its manifest's descriptor.
    func image(layers: [[UInt8]], compression: LayerCompression = .gzip, architecture: String = "amd64",
               variant: String? = nil, cmd: [String] = ["/bin/sh"], diffIDs override: [String]? = nil,
               refName: String? = nil) async throws -> (manifest: Descriptor, configDigest: String) {
        var layerDescriptors: [Descriptor] = []
        for layer in layers {
            switch compression {
            case .none: layerDescriptors.append(try blob(layer, mediaType: MediaType.ociLayer))
            case .gzip: layerDescriptors.append(try blob(try await Tool.gzip(layer), mediaType: MediaType.ociLayerGzip))
            case .zstd: layerDescriptors.append(try blob(try await Tool.zstd(layer), mediaType: MediaType.ociLayerZstd))
            }
        }
        let config = ImageConfiguration(
            architecture: architecture, os: "linux", variant: variant,
            config: ImageExecutionConfig(env: ["PATH=/bin"], cmd: cmd),
            rootfs: ImageRootFS(diffIDs: override ?? layers.map { Digest.of($0).description }))
        let configDescriptor = try blob(JSONCoding.encode(config), mediaType: MediaType.ociConfig)
        let manifest = ImageManifest(config: configDescriptor, layers: layerDescriptors)
        var descriptor = try blob(JSONCoding.encode(manifest), mediaType: MediaType.ociManifest)
        descriptor.platform = Platform(architecture: architecture, os: "linux", variant: variant)
        if let refName { descriptor.annotations = [ImageAnnotation.refName: refName] }
        return (descriptor, configDescriptor.digest)
    }

    func index(_ manifests: [Descriptor]) throws {
        try FileSystem.writeAtomically(path + "/index.json", JSONCoding.encode(ImageIndex(manifests: manifests)))
    }

    /// A layer holding Debian's static busybox as /bin/busybox, with /bin/sh and /etc files.
    static func busyboxLayer() throws -> [UInt8] {
        var tar = TarWriter()
        tar.directory("bin")
        tar.add(.init(name: "bin/busybox", mode: 0o755, content: try FileSystem.readFile("/bin/busybox", limit: 64 << 20)))
        tar.symlink("bin/sh", to: "busybox")
        tar.directory("etc")
        tar.file("etc/passwd", "root:x:0:0:root:/root:/bin/sh\n")
        tar.file("etc/group", "root:x:0:\n")
        tar.directory("var/cache")
        tar.file("var/cache/old", "old")
        tar.symlink("etc/alias", to: "/etc/passwd")
        return tar.finished()
    }

    /// A second layer: changes /etc/passwd, deletes /etc/group, makes /var/cache opaque.
    static func changesLayer(user: String = "app") -> [UInt8] {
        var tar = TarWriter()
        tar.directory("etc")
        tar.file("etc/passwd", "root:x:0:0:root:/root:/bin/sh\n\(user):x:1000:1000::/home:/bin/sh\n")
        tar.file("etc/.wh.group", "")
        tar.directory("var/cache")
        tar.file("var/cache/.wh..wh..opq", "")
        tar.file("var/cache/new", "new")
        return tar.finished()
    }
}
